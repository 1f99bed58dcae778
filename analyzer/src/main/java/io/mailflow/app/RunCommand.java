package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.metrics.MetricsServer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mailflow run}: the analyzer against a Kafka cluster, until SIGTERM. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run the analyzer against a Kafka cluster until stopped.",
        "SIGTERM or Ctrl-C shut it down gracefully.",
        "Creates missing topics first, serves Prometheus metrics on /metrics and a health check on /health."})
public final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--no-create-topics", description = "Only verify that the topics exist; fail when one is missing.")
    boolean noCreateTopics;

    @Option(names = "--metrics-port", paramLabel = "PORT", description = "Port of /metrics and /health (mailflow.metrics.port, default 9464; 0 = any).")
    Integer metricsPort;

    @Override
    public Integer call() throws Exception {
        MailflowConfig config = configOptions.resolve();
        if (metricsPort != null) {
            config = config.with("mailflow.metrics.port", metricsPort.toString());
        }
        KafkaReachability.require(config);
        try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
            final var report = TopicAdmin.ensure(admin, TopicAdmin.specs(config), noCreateTopics);
            if (report.stream().anyMatch(s -> s.action().equals("missing"))) {
                report.stream().filter(s -> s.action().equals("missing"))
                    .forEach(s -> LOG.error("Topic {} is missing: {}", s.name(), s.note()));
                return ExitCodes.RUNTIME_FAILURE;
            }
        }
        // /health answers from the start: 503 "STARTING" while the schemas are registered (a
        // registry that is not up yet is waited for), then the analyzer's own health
        final AtomicReference<Analyzer> running = new AtomicReference<>();
        try (MetricsServer metrics = MetricsServer.start(config.getInt("mailflow.metrics.port", 9464), () -> {
            final Analyzer a = running.get();
            return a == null ? "STARTING (registering schemas)" : a.health();
        })) {
            final Analyzer analyzer = new Analyzer(config);
            running.set(analyzer);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                LOG.info("Shutting down: finishing in-flight work and committing");
                analyzer.close(Duration.ofSeconds(60));
            }, "mailflow-shutdown"));
            analyzer.start();
            LOG.info("mailflow running as '{}' against {}; metrics on :{}/metrics", config.get("application.id"),
                config.get("bootstrap.servers"), metrics.port());
            analyzer.awaitStopped();
            return analyzer.state() == KafkaStreams.State.ERROR ? ExitCodes.RUNTIME_FAILURE : ExitCodes.OK;
        }
    }
}
