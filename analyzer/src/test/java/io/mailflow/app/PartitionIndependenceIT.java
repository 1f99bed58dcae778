package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.serde.DevRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Same input, same output: the shared outage scenario ({@link ClusterInstances#OUTAGES}: four
 * generated hours from two Exchange servers, four overlapping connector outages), analysed (1) by the embedded one-partition replay and (2) as deployed: a
 * broker with 6-partition topics, the real dev registry, two `mailflow run` processes of one
 * application with standby replicas. In (2) the traces reach the analyzer deliberately unevenly:
 * five partitions are written in full first, the sixth only afterwards (hours of event time
 * behind), and half way through the sixth instance B is killed with SIGKILL (FaultsIT stops the
 * broker). Every output topic, read read_committed, must equal the embedded
 * replay's record for record (per key, in order).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Same input, same output: 6 uneven partitions and two instances (one killed) equal the one-partition replay")
class PartitionIndependenceIT {
    private static final int PARTITIONS = 6;
    private static final int LATE_PARTITION = 3;
    private static final Duration DONE_TIMEOUT = Duration.ofMinutes(5);
    /** Logs and state of the cluster run, kept under target/ for a look after a failure. */
    private Path work;
    private Path logs;
    private Map<String, Map<String, List<String>>> reference;
    private ClusterInstances instances;

    @BeforeAll
    void generateAndReplayOnOnePartition() throws Exception {
        final ClusterInstances.Reference shared = ClusterInstances.sharedReference();
        logs = shared.logs();
        reference = shared.outputs();
        assertTrue(reference.get("mailflow.alerts").size() >= 3, "the scenario fires alerts on several connectors: "
            + reference.get("mailflow.alerts").keySet());
        assertTrue(reference.get("mailflow.alerts").values().stream().mapToInt(List::size).sum() >= 8, "and updates and resolves them");
    }

    @AfterEach
    void stopProcesses() throws InterruptedException {
        if (instances != null) {
            instances.close();
        }
    }

    @Test
    @DisplayName("a partition hours behind, and instance B killed with SIGKILL half way through it")
    void unevenPartitionsAndAKilledInstance() throws Exception {
        runCluster("kill");
    }

    private void runCluster(final String fault) throws Exception {
        final int[] ports = EmbeddedKafka.freePorts(2);
        final int port = ports[0];
        final Map<String, String> fixedPorts = ClusterInstances.fixedPorts(ports);
        work = Path.of("target", "partition-independence-it", fault).toAbsolutePath();
        EmbeddedKafka.deleteRecursively(work);
        Files.createDirectories(work);
        instances = new ClusterInstances(work, PARTITIONS);
        final Path kafkaDir = work.resolve("kafka");
        EmbeddedKafka kafka = EmbeddedKafka.start(port, kafkaDir, fixedPorts);
        try {
            final String registry = DevRegistry.url();
            final String app = "pi-" + fault + "-" + System.nanoTime();
            final MailflowConfig config = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", kafka.bootstrapServers())
                .override("schema.registry.url", registry)
                .override("application.id", app)
                .override("mailflow.topic.partitions", Integer.toString(PARTITIONS))
                .override("mailflow.topic.retention", "infinite")
                .build();
            final Topics topics = new Topics(config);
            // the replay writes to a staging topic; copying it partition by partition makes the unevenness
            final MailflowConfig staging = config.with("mailflow.topic.traces", "staging.traces");
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
                TopicAdmin.ensure(admin, TopicAdmin.specs(staging), false);
            }
            KafkaReplay.replay(staging, new Topics(staging), List.of(logs), ReplayOptions.defaults());

            final Process a = instances.start("a", kafka.bootstrapServers(), registry, app);
            final Process b = instances.start("b", kafka.bootstrapServers(), registry, app);
            instances.awaitHealthy("a", Duration.ofSeconds(90));
            instances.awaitHealthy("b", Duration.ofSeconds(90));

            final Map<Integer, List<ConsumerRecord<byte[], byte[]>>> staged =
                ClusterInstances.readTopic(kafka.bootstrapServers(), "staging.traces", PARTITIONS);
            final long t0 = System.nanoTime();
            for (int p = 0; p < PARTITIONS; p++) {
                if (p != LATE_PARTITION) {
                    ClusterInstances.copy(kafka.bootstrapServers(), staged.get(p), topics.traces.name());
                }
            }
            final List<ConsumerRecord<byte[], byte[]>> late = staged.get(LATE_PARTITION);
            final int half = late.size() / 2;
            ClusterInstances.copy(kafka.bootstrapServers(), late.subList(0, half), topics.traces.name());
            b.destroyForcibly().waitFor(); // SIGKILL: no commit, no leave-group
            ClusterInstances.copy(kafka.bootstrapServers(), late.subList(half, late.size()), topics.traces.name());
            instances.awaitComplete(config, topics, app, List.of(a), DONE_TIMEOUT);
            final Map<String, Map<String, List<String>>> cluster = ClusterInstances.outputs(config.kafkaProperties(), topics);
            System.out.printf("PartitionIndependenceIT[%s]: cluster done %.1f s after the copy began: %s%n", fault,
                (System.nanoTime() - t0) / 1e9, ClusterInstances.counts(cluster));
            for (final String topic : reference.keySet()) {
                assertEquals(reference.get(topic), cluster.get(topic), topic + ": the cluster's records per key differ from the one-partition replay's");
            }
        } finally {
            instances.close();
            kafka.close();
        }
    }
}
