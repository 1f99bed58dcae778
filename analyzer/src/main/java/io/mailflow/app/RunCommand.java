package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.metrics.MetricsServer;
import io.mailflow.query.QueryServer;
import io.mailflow.query.QuerySettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mailflow run}: the analyzer against a Kafka cluster, until SIGTERM. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run the analyzer against a Kafka cluster until stopped.",
        "SIGTERM or Ctrl-C shut it down gracefully.",
        "Creates missing topics first, serves Prometheus metrics on /metrics and a health check on /health.",
        "Serves the query API and web page on their own port (docs/query-api.md)."})
public final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--no-create-topics", description = "Only verify that the topics exist; fail when one is missing.")
    boolean noCreateTopics;

    @Option(names = "--metrics-port", paramLabel = "PORT", description = "Port of /metrics and /health (mailflow.metrics.port, default 9464; 0 = any).")
    Integer metricsPort;

    @Option(names = "--query-port", paramLabel = "PORT", description = "Port of the query API and web page (mailflow.query.port, default 8080; 0 = any).")
    Integer queryPort;

    @Override
    public Integer call() throws Exception {
        MailflowConfig config = configOptions.resolve();
        if (metricsPort != null) {
            config = config.with("mailflow.metrics.port", metricsPort.toString());
        }
        if (queryPort != null) {
            config = config.with(QuerySettings.PORT, queryPort.toString());
        }
        final QuerySettings query = QuerySettings.from(config);
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
        }); QueryServer queries = startQueryServer(query)) {
            // Kafka Streams tells the other instances where this one answers queries: the port
            // actually bound (0 picks one), so the server is up before the client is created
            final HostInfo self = new HostInfo(query.advertisedHost(), queries.port());
            final MailflowConfig analyzed = Analyzer.withBrokerCounts(config)
                .with(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
            final Analyzer analyzer = new Analyzer(analyzed);
            running.set(analyzer);
            queries.serve(analyzer.streams(), analyzed, self, () -> analyzer.state().name());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                LOG.info("Shutting down: finishing in-flight work and committing");
                analyzer.close(Duration.ofSeconds(60));
            }, "mailflow-shutdown"));
            analyzer.start();
            LOG.info("mailflow running as '{}' against {}; metrics on :{}/metrics, query API on {}:{}/api/v1/{}", config.get("application.id"),
                config.get("bootstrap.servers"), metrics.port(), self.host(), self.port(), query.token() == null ? "" : " (bearer token required)");
            analyzer.awaitStopped();
            return analyzer.state() == KafkaStreams.State.ERROR ? ExitCodes.RUNTIME_FAILURE : ExitCodes.OK;
        }
    }

    /**
     * The query server on its port. Several instances on one machine (a test cluster, the
     * deployed comparison) cannot all have the default 8080: when the default is taken, any free
     * port is used and said; Kafka Streams advertises the bound port, so routing still works. A
     * port set explicitly that is taken stays an error.
     */
    private static QueryServer startQueryServer(final QuerySettings query) throws java.io.IOException {
        try {
            return QueryServer.start(query.port(), query.token());
        } catch (final java.net.BindException taken) {
            if (query.port() != QuerySettings.DEFAULT_PORT) {
                throw new java.net.BindException("mailflow.query.port " + query.port() + " is in use: " + taken.getMessage());
            }
            final QueryServer server = QueryServer.start(0, query.token());
            LOG.warn("Port {} (the query API's default) is in use; serving the query API and web page on port {} instead "
                + "(set mailflow.query.port or --query-port to choose)", QuerySettings.DEFAULT_PORT, server.port());
            return server;
        }
    }
}
