package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import io.mailflow.config.Secrets;
import io.mailflow.emit.Topics;
import io.mailflow.metrics.MetricsServer;
import io.mailflow.notify.AlertBridge;
import io.mailflow.notify.AlertLinks;
import io.mailflow.notify.AlertmanagerClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mailflow notify}: the bridge from mailflow.alerts to Alertmanager, until SIGTERM. */
@Command(name = "notify", mixinStandardHelpOptions = true,
    description = {"Post mailflow's alerts to Alertmanager (API v2), from which on-call tools page.",
        "",
        "Reads mailflow.alerts (read_committed) from the beginning, keeps the latest",
        "state of every episode by alertId, posts the firing ones to",
        "POST /api/v2/alerts every --resend-interval (active until now + 4 intervals,",
        "as Prometheus does) and every change at once; a RESOLVED record is posted",
        "with endsAt = its resolve time. Labels identify the alert (alertname,",
        "connector, severity, status_code, category); annotations describe it",
        "(summary, description, last_error, runbook_url, ...). Alertmanager down:",
        "retried with back-off, nothing dropped. What was delivered is the consumer",
        "group's committed offset, so a restart posts no resolution twice. Serves",
        "/metrics and /health. docs/alerting.md maps the fields to PagerDuty and",
        "Opsgenie.",
        "",
        "Examples:",
        "  mailflow notify -b kafka:9092 -r http://registry:8081 \\",
        "      --alertmanager-url http://am-0:9093 --alertmanager-url http://am-1:9093 \\",
        "      --runbook-url 'https://wiki.example/mailflow/{code}'",
        "  MAILFLOW_NOTIFY_BEARER__TOKEN=... mailflow notify -c notify.properties",
        ""})
public final class NotifyCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(NotifyCommand.class);

    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--alertmanager-url", paramLabel = "URL",
        description = "Alertmanager to post to, e.g. http://alertmanager:9093; repeat for each of an HA pair "
            + "(mailflow.notify.alertmanager-urls, comma-separated).")
    List<String> alertmanagerUrls = new ArrayList<>();

    @Option(names = "--runbook-url", paramLabel = "TEMPLATE",
        description = "Runbook link of each alert; {code}, {connector}, {category}, {alertname}, {type}, {alert_id} are filled in "
            + "(mailflow.notify.runbook-url).")
    String runbookUrl;

    @Option(names = "--dashboard-url", paramLabel = "TEMPLATE",
        description = "Dashboard link of each alert, also its generatorURL; same placeholders (mailflow.notify.dashboard-url).")
    String dashboardUrl;

    @Option(names = "--resend-interval", paramLabel = "DURATION", converter = DurationOption.Positive.class,
        description = "How often firing alerts are posted again (mailflow.notify.resend-interval; default 1m).")
    Duration resendInterval;

    @Option(names = "--group", paramLabel = "GROUP",
        description = "Consumer group whose committed offset records what was delivered (mailflow.notify.group; default mailflow-notify).")
    String group;

    @Option(names = "--basic-auth-user", paramLabel = "USER",
        description = "Basic auth user for Alertmanager (mailflow.notify.basic-auth-user); the password comes from "
            + "--basic-auth-password-file or mailflow.notify.basic-auth-password.")
    String basicAuthUser;

    @Option(names = "--basic-auth-password-file", paramLabel = "FILE",
        description = "File holding the basic auth password (its first line).")
    Path basicAuthPasswordFile;

    @Option(names = "--bearer-token-file", paramLabel = "FILE",
        description = "File holding a bearer token for Alertmanager (its first line; or mailflow.notify.bearer-token).")
    Path bearerTokenFile;

    @Option(names = "--metrics-port", paramLabel = "PORT",
        description = "Port of /metrics and /health (mailflow.notify.metrics-port, default 9466; 0 = any).")
    Integer metricsPort;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final MailflowConfig config = configOptions.resolve();
        final List<String> urls = !alertmanagerUrls.isEmpty() ? alertmanagerUrls
            : Arrays.stream(config.get("mailflow.notify.alertmanager-urls", "").split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList();
        if (urls.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "no Alertmanager: give --alertmanager-url URL (or mailflow.notify.alertmanager-urls)");
        }
        final AlertmanagerClient client;
        try {
            client = new AlertmanagerClient(urls, auth(config));
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--alertmanager-url: " + e.getMessage());
        }
        final Duration resend = resendInterval != null ? resendInterval
            : config.getDuration("mailflow.notify.resend-interval", Duration.ofMinutes(1));
        if (resend.isZero() || resend.isNegative()) {
            throw new MailflowConfig.ConfigException("Setting 'mailflow.notify.resend-interval' must be positive, got " + resend);
        }
        final AlertBridge.Options options = new AlertBridge.Options(config.require("mailflow.topic.alerts"),
            group != null ? group : config.get("mailflow.notify.group", "mailflow-notify"), resend,
            new AlertLinks(runbookUrl != null ? runbookUrl : config.get("mailflow.notify.runbook-url"),
                dashboardUrl != null ? dashboardUrl : config.get("mailflow.notify.dashboard-url")));
        KafkaReachability.require(config);
        final Topics topics = new Topics(config);
        final int port = metricsPort != null ? metricsPort : config.getInt("mailflow.notify.metrics-port", 9466);
        final AlertBridge[] holder = new AlertBridge[1];
        try (MetricsServer metrics = MetricsServer.start(port, () -> holder[0] == null ? "STARTING" : holder[0].health());
             AlertBridge bridge = new AlertBridge(config.kafkaProperties(), topics.alerts.valueSerde().deserializer(), client, options,
                 metrics.registry(), Clock.systemUTC())) {
            holder[0] = bridge;
            final CountDownLatch stopped = new CountDownLatch(1);
            final Thread hook = new Thread(() -> {
                bridge.stop();
                try {
                    stopped.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "mailflow-notify-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            LOG.info("mailflow notify: {} → {} (auth {}), resend every {}, group {}; metrics on :{}/metrics", options.topic(),
                client.alertmanagers(), client.authShown(), resend, options.group(), metrics.port());
            try {
                bridge.run();
            } finally {
                stopped.countDown();
            }
            return ExitCodes.OK;
        }
    }

    /** Basic auth, a bearer token or none; secrets from files or settings, never from a flag's value. */
    private AlertmanagerClient.Auth auth(final MailflowConfig config) throws IOException {
        final String user = basicAuthUser != null ? basicAuthUser : config.get("mailflow.notify.basic-auth-user");
        final String password = basicAuthPasswordFile != null ? firstLine(basicAuthPasswordFile)
            : config.get("mailflow.notify.basic-auth-password");
        final String token = bearerTokenFile != null ? firstLine(bearerTokenFile) : config.get("mailflow.notify.bearer-token");
        if (user != null && token != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "basic auth and a bearer token cannot both be used");
        }
        if (user != null) {
            return AlertmanagerClient.Auth.basic(user, password);
        }
        if (password != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "a basic auth password without --basic-auth-user");
        }
        return token != null ? AlertmanagerClient.Auth.bearer(token) : AlertmanagerClient.Auth.none();
    }

    private static String firstLine(final Path file) throws IOException {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
        } catch (final IOException e) {
            throw new MailflowConfig.ConfigException("Cannot read " + file + ": " + Secrets.maskUrls(String.valueOf(e.getMessage())));
        }
    }
}
