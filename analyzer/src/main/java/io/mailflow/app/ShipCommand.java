package io.mailflow.app;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.SchemaRegistration;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.LogShipper;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.ingest.TraceFormat;
import io.mailflow.ingest.follow.FollowSpec;
import io.mailflow.metrics.MetricsServer;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mailflow ship}: the live follower that runs next to a mail server, until SIGTERM. */
@Command(name = "ship", mixinStandardHelpOptions = true,
    description = {"Follow a running mail server's logs and send their trace records to Kafka, exactly once.",
        "",
        "Every new line is parsed with the same parsers as `replay` into mailflow.traces.",
        "Follows files and globs as they grow: new files (Exchange's hourly MSGTRK",
        "files), logrotate's rename+create and copytruncate, rotated .gz files,",
        "truncation, files deleted while open. Each batch of lines is one Kafka",
        "transaction together with the files' positions (topic mailflow.ship-positions,",
        "key --name): after a crash or a SIGKILL it resumes with no line lost and none",
        "twice. The state file is written after each commit. Serves /metrics and",
        "/health; SIGTERM stops it after the batch under way.",
        "",
        "Examples:",
        "  mailflow ship -b kafka:9092 -r http://registry:8081 '/var/log/mail.log*'",
        "  mailflow ship -c /etc/mailflow/ship.properties --name ex01 \\",
        "      'D:/Exchange/TransportRoles/Logs/MessageTracking/MSGTRK*.LOG'",
        ""})
public final class ShipCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ShipCommand.class);

    @Mixin
    ConfigOptions configOptions;

    @Parameters(arity = "1..*", paramLabel = "FILE|GLOB",
        description = {"Files to follow, or glob patterns (quote them: '/var/log/mail.log*', '/logs/EX01/MSGTRK*.LOG').",
            "Include the rotated names (mail.log*) so that lines written just before a rotation are read from the rotated file."})
    List<String> follow = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME",
        description = "This shipper's name: its key in the positions topic and its transactional id (mailflow.ship.name; default: the host name). "
            + "Two shippers must never share a name: the newer one fences the older.")
    String name;

    @Option(names = "--state", paramLabel = "FILE",
        description = "State file with every file's position, written after each commit (mailflow.ship.state-file; default ./mailflow-ship-NAME.state).")
    Path stateFile;

    @Option(names = "--format", paramLabel = "FORMAT", converter = ReplayCommand.FormatConverter.class,
        description = "Force the format of every file (exchange-msgtrk, postfix, jsonl) instead of detecting it per file.")
    TraceFormat format;

    @Option(names = "--year", paramLabel = "YEAR", description = "Year of the first line of classic syslog files (default: inferred from today).")
    Integer year;

    @Option(names = "--timezone", paramLabel = "ZONE", defaultValue = "UTC",
        description = "Time zone of syslog timestamps without an offset (default UTC).")
    ZoneId zone;

    @Option(names = "--poll-interval", paramLabel = "DURATION", converter = DurationOption.Positive.class,
        description = "How often to look for new lines when there were none (mailflow.ship.poll-interval; default 1s).")
    Duration pollInterval;

    @Option(names = "--batch-lines", paramLabel = "N",
        description = "At most this many lines per transaction (mailflow.ship.batch-lines; default 5000).")
    Integer batchLines;

    @Option(names = "--metrics-port", paramLabel = "PORT",
        description = "Port of /metrics and /health (mailflow.ship.metrics-port, default 9465; 0 = any).")
    Integer metricsPort;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final MailflowConfig config = configOptions.resolve();
        final String shipper = name != null ? name : config.get("mailflow.ship.name", hostName());
        if (!shipper.matches("[A-Za-z0-9._-]+")) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "--name must be letters, digits, '.', '_' or '-' (it becomes part of a transactional id): " + shipper);
        }
        final List<FollowSpec> specs = new ArrayList<>();
        for (final String pattern : follow) {
            specs.add(new FollowSpec(pattern, List.of(absoluteGlob(pattern))));
        }
        final Path state = stateFile != null ? stateFile
            : Path.of(config.get("mailflow.ship.state-file", "mailflow-ship-" + shipper + ".state"));
        final ReplayOptions parsing = ReplayOptions.defaults().withFormat(format).withReferenceYear(year).withSyslogZone(zone);
        final LogShipper.Settings settings = new LogShipper.Settings(shipper, specs, parsing, state,
            pollInterval != null ? pollInterval : config.getDuration("mailflow.ship.poll-interval", Duration.ofSeconds(1)),
            batchLines != null ? batchLines : config.getInt("mailflow.ship.batch-lines", 5000));
        KafkaReachability.require(config);
        try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
            // the shipper creates nothing but what it writes to, with the cluster's settings
            TopicAdmin.ensure(admin, TopicAdmin.specs(config).stream()
                .filter(s -> s.name().equals(config.require("mailflow.topic.traces"))
                    || s.name().equals(config.require("mailflow.topic.dead-letters"))
                    || s.name().equals(config.require("mailflow.topic.ship-positions"))).toList(), false);
        }
        final Topics topics = new Topics(config);
        final int port = metricsPort != null ? metricsPort : config.getInt("mailflow.ship.metrics-port", 9465);
        final LogShipper[] holder = new LogShipper[1];
        try (MetricsServer metrics = MetricsServer.start(port, () -> holder[0] == null ? "STARTING" : holder[0].health())) {
            final LogShipper shipperLoop = new LogShipper(settings, topics, config.require("mailflow.topic.ship-positions"),
                config.kafkaProperties(), metrics.registry());
            holder[0] = shipperLoop;
            // registered before the first record, waiting for a registry that is not up yet
            SchemaRegistration.registerAll(topics.serdeConfig(), Map.of(
                topics.traces.name() + "-value", MessageTrace.getClassSchema(),
                topics.deadLetters.name() + "-value", DeadLetter.getClassSchema()), Duration.ofDays(365));
            final CountDownLatch stopped = new CountDownLatch(1);
            final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
            final Thread hook = new Thread(() -> {
                LOG.info("Stopping: committing the batch under way");
                stopping.set(true);
                try {
                    stopped.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "mailflow-ship-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            LOG.info("mailflow ship '{}' following {} to {} on {}; state file {}; metrics on :{}/metrics", shipper, follow,
                topics.traces.name(), config.get("bootstrap.servers"), state.toAbsolutePath(), metrics.port());
            try {
                shipperLoop.run(() -> !stopping.get());
            } finally {
                stopped.countDown();
            }
            LOG.info("mailflow ship '{}' stopped at checkpoint {}", shipper,
                shipperLoop.committed().map(c -> Long.toString(c.seq())).orElse("none"));
            return ExitCodes.OK;
        }
    }

    /** A relative path or glob is taken from the working directory, as a shell would. */
    static String absoluteGlob(final String pattern) {
        final String unified = pattern.replace('\\', '/');
        if (unified.startsWith("/") || unified.matches("^[A-Za-z]:/.*")) {
            return unified;
        }
        return Path.of("").toAbsolutePath().toString().replace('\\', '/') + "/" + unified;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
        } catch (final Exception e) {
            return "shipper";
        }
    }
}
