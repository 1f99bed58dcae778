package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.serde.FaultyRegistryProxy;
import io.mailflow.serde.RestartableRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Faults lose nothing. The shared outage scenario ({@link ClusterInstances#OUTAGES}) is analysed by the embedded one-partition replay (the reference), and as deployed: a
 * broker with 6-partition topics, a real registry (the dev registry, its schemas in a file), two
 * `mailflow run` processes of one application. While they run the registry or the broker fails;
 * afterwards every output topic, read read_committed, must equal the reference record for record,
 * and no trace may have been dead-lettered.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Faults lose nothing: registry faults, a broker stopped for 20 s, a registry restart, a replay sent twice")
class FaultsIT {
    private static final int PARTITIONS = 6;
    private static final Duration DONE_TIMEOUT = Duration.ofMinutes(6);
    private Path logs;
    private Map<String, Map<String, List<String>>> reference;
    private ClusterInstances instances;

    @BeforeAll
    void generateAndReplayOnOnePartition() throws Exception {
        final ClusterInstances.Reference shared = ClusterInstances.sharedReference();
        logs = shared.logs();
        reference = shared.outputs();
        System.out.printf("FaultsIT: reference (one partition): %s%n", ClusterInstances.counts(reference));
        assertTrue(reference.get("mailflow.alerts").size() >= 3, "the scenario fires alerts on several connectors");
        assertTrue(reference.get("mailflow.ndr").size() + reference.get("mailflow.delays").size() > 0, "and reports queued mail");
        assertEquals(Map.of(), reference.get("mailflow.dead-letters"), "generated logs have no bad lines");
    }

    @AfterEach
    void stopInstances() throws InterruptedException {
        if (instances != null) {
            instances.close();
        }
    }

    @Test
    @DisplayName("resets, 500s, 409s and stalls of the registry while two instances start and the replay runs, then the same replay again")
    void registryFaultsAndTheSameReplayTwice() throws Exception {
        final Path work = workDir("registry-faults");
        instances = new ClusterInstances(work, PARTITIONS);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0, work.resolve("kafka"), Map.of());
             RestartableRegistry registry = new RestartableRegistry(work.resolve("registry"), ClusterInstances.freePort());
             FaultyRegistryProxy proxy = new FaultyRegistryProxy(startedUrl(registry), 7, 0.4, 1_500, 8_000)) {
            final String app = "faults-registry-" + System.nanoTime();
            final MailflowConfig config = clusterConfig(kafka.bootstrapServers(), proxy.url(), app);
            final Topics topics = new Topics(config);
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
            }
            final Process a = instances.start("a", kafka.bootstrapServers(), proxy.url(), app, "http.read.timeout.ms=4000");
            final Process b = instances.start("b", kafka.bootstrapServers(), proxy.url(), app, "http.read.timeout.ms=4000");
            // the replay runs while the instances start, through the same faulty registry
            KafkaReplay.replay(config, topics, List.of(logs), ReplayOptions.defaults());
            instances.awaitHealthy("a", Duration.ofMinutes(3));
            instances.awaitHealthy("b", Duration.ofMinutes(3));
            instances.awaitComplete(config, topics, app, List.of(a, b), DONE_TIMEOUT);
            assertEqualsReference(ClusterInstances.outputs(config.kafkaProperties(), topics), "after the replay");
            final Map<FaultyRegistryProxy.Fault, Integer> injected = proxy.injected();
            System.out.println("FaultsIT: registry requests by injected fault: " + injected);
            injected.forEach((fault, n) -> assertTrue(n > 0, fault + " was injected: " + injected));
            final double retries = metric("a", "mailflow_registry_retries_total") + metric("b", "mailflow_registry_retries_total");
            assertTrue(retries > 0, "the instances' metrics show the registry retries");

            // the same files again, into the same topics: the analyzer skips the whole run
            KafkaReplay.replay(config, topics, List.of(logs), ReplayOptions.defaults());
            instances.awaitComplete(config, topics, app, List.of(a, b), DONE_TIMEOUT);
            assertEqualsReference(ClusterInstances.outputs(config.kafkaProperties(), topics), "after the same replay again");
            final int skipped = instances.logLines("a", "they are skipped").size() + instances.logLines("b", "they are skipped").size();
            assertTrue(skipped > 0, "the instances say they skip the repeated run");
        }
    }

    @Test
    @DisplayName("the broker stopped for 20 s, then the registry stopped and restarted, while two instances analyse")
    void brokerStoppedAndRegistryRestarted() throws Exception {
        final Path work = workDir("broker-and-registry");
        instances = new ClusterInstances(work, PARTITIONS);
        final int[] ports = EmbeddedKafka.freePorts(2);
        final int port = ports[0];
        final Map<String, String> fixedPorts = ClusterInstances.fixedPorts(ports);
        EmbeddedKafka kafka = EmbeddedKafka.start(port, work.resolve("kafka"), fixedPorts);
        try (RestartableRegistry registry = new RestartableRegistry(work.resolve("registry"), ClusterInstances.freePort())) {
            final String url = startedUrl(registry);
            final String app = "faults-restarts-" + System.nanoTime();
            final MailflowConfig config = clusterConfig(kafka.bootstrapServers(), url, app);
            final Topics topics = new Topics(config);
            final MailflowConfig staging = config.with("mailflow.topic.traces", "staging.traces");
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
                TopicAdmin.ensure(admin, TopicAdmin.specs(staging), false);
            }
            KafkaReplay.replay(staging, new Topics(staging), List.of(logs), ReplayOptions.defaults());
            final Map<Integer, List<ConsumerRecord<byte[], byte[]>>> staged =
                ClusterInstances.readTopic(kafka.bootstrapServers(), "staging.traces", PARTITIONS);

            final Process a = instances.start("a", kafka.bootstrapServers(), url, app);
            final Process b = instances.start("b", kafka.bootstrapServers(), url, app);
            // both past their first rebalance: the broker goes away while they process, not while they join
            instances.awaitRunning("a", Duration.ofSeconds(90));
            instances.awaitRunning("b", Duration.ofSeconds(90));

            copyThird(kafka.bootstrapServers(), staged, 0, topics);
            Thread.sleep(3_000); // mid-run: the instances are busy with the first third
            kafka.close();
            final TreeSet<String> healthWhileDown = new TreeSet<>();
            for (int s = 0; s < 20; s += 5) {
                healthWhileDown.add(instances.health("a").toString());
                Thread.sleep(5_000);
            }
            System.out.println("FaultsIT: /health of a while the broker is down: " + healthWhileDown);
            assertTrue(healthWhileDown.stream().anyMatch(h -> h.contains("no connection to the Kafka cluster")),
                "/health says the cluster is away: " + healthWhileDown);
            kafka = EmbeddedKafka.start(port, work.resolve("kafka"), fixedPorts);
            copyThird(kafka.bootstrapServers(), staged, 1, topics);
            Thread.sleep(5_000);
            registry.stop();
            copyThird(kafka.bootstrapServers(), staged, 2, topics);
            Thread.sleep(10_000); // analysed while the registry is down
            registry.start();
            instances.awaitComplete(config, topics, app, List.of(a, b), DONE_TIMEOUT);
            assertEqualsReference(ClusterInstances.outputs(config.kafkaProperties(), topics), "after the broker and registry restarts");
        } finally {
            instances.close();
            kafka.close();
        }
    }

    private void assertEqualsReference(final Map<String, Map<String, List<String>>> cluster, final String when) {
        ClusterInstances.assertSameAsReference("FaultsIT", reference, cluster, when);
    }

    private static void copyThird(final String bootstrap, final Map<Integer, List<ConsumerRecord<byte[], byte[]>>> staged, final int third,
                                  final Topics topics) {
        ClusterInstances.copyPart(bootstrap, staged, third, 3, topics.traces.name());
    }

    private static String startedUrl(final RestartableRegistry registry) throws Exception {
        registry.start();
        return registry.url();
    }

    private static MailflowConfig clusterConfig(final String bootstrap, final String registry, final String app) {
        return MailflowConfig.builder().defaults()
            .override("bootstrap.servers", bootstrap)
            .override("schema.registry.url", registry)
            .override("http.read.timeout.ms", "4000")
            .override("application.id", app)
            .override("mailflow.topic.partitions", Integer.toString(PARTITIONS))
            .override("mailflow.topic.retention", "infinite")
            .build();
    }

    private static Path workDir(final String name) throws Exception {
        final Path work = Path.of("target", "faults-it", name).toAbsolutePath();
        EmbeddedKafka.deleteRecursively(work);
        Files.createDirectories(work);
        return work;
    }

    /** The sum of a Prometheus metric's samples on instance {@code name}'s /metrics. */
    private double metric(final String name, final String metric) throws Exception {
        final int port = instances.metricsPort(name);
        final String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(l -> l.startsWith(metric + "{") || l.startsWith(metric + " "))
            .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
