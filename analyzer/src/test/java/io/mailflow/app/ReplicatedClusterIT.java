package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.Topic;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.serde.DevRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A broker of three stopped loses nothing. The shared outage scenario
 * ({@link ClusterInstances#OUTAGES}) is analysed by the embedded one-partition replay (the reference), and as a
 * production cluster runs them: {@link EmbeddedKafkaCluster} with three brokers and a separate
 * controller, mailflow's topics created with replication factor 3 and {@code min.insync.replicas}
 * 2 ({@code mailflow.topic.replication-factor}, {@code mailflow.topic.min-insync-replicas}),
 * Kafka Streams' internal topics with {@code replication.factor=3}, the offsets and
 * transaction-state topics replicated three times, the real dev registry, two `mailflow run`
 * processes with a standby replica each.
 *
 * <p>The traces are copied into the cluster in four parts, and between them: the broker that
 * coordinates the application's consumer group is stopped (a controlled shutdown: its leaderships,
 * the group and the transactions it coordinates move to the other two); a part is written with
 * {@code acks=all} while it is down (two in-sync replicas suffice); instance B is killed with
 * SIGKILL while the broker is still down (A takes over its tasks, standbys first); the broker is
 * started again on its port and log directory and must catch up (every ISR whole again); the
 * last part is written to all three. Afterwards every output topic, read read_committed, must
 * equal the reference record for record (per key, in order), with no trace dead-lettered, and
 * every internal topic of Kafka Streams must have three replicas. B is not restarted: a restart
 * on the state directory of a killed EOS instance restores everything from the changelogs, which
 * doubled the test's time on 2 cores.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("A broker of three stopped and restarted, an instance killed: the replicated cluster equals the one-partition replay")
class ReplicatedClusterIT {
    private static final int PARTITIONS = 6;
    private static final int PARTS = 4;
    private static final Duration DONE_TIMEOUT = Duration.ofMinutes(5);
    /** What every instance and the test's own topic creation are given on top of ClusterInstances' settings. */
    private static final String[] REPLICATED = {"mailflow.topic.replication-factor=3", "mailflow.topic.min-insync-replicas=2",
        "replication.factor=3"};

    private Path logs;
    private Map<String, Map<String, List<String>>> reference;
    private ClusterInstances instances;

    @BeforeAll
    void generateAndReplayOnOnePartition() throws Exception {
        final ClusterInstances.Reference shared = ClusterInstances.sharedReference();
        logs = shared.logs();
        reference = shared.outputs();
        assertTrue(reference.get("mailflow.alerts").size() >= 1, "the outage fires an alert: " + reference.get("mailflow.alerts").keySet());
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
    @DisplayName("the group coordinator's broker stopped while a part is written and instance B is killed, the broker restarted")
    void brokerStoppedAndInstanceKilled() throws Exception {
        final long t0 = System.nanoTime();
        final Path work = Path.of("target", "replicated-cluster-it").toAbsolutePath();
        EmbeddedKafka.deleteRecursively(work);
        Files.createDirectories(work);
        instances = new ClusterInstances(work, PARTITIONS);
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start(3, 1, work.resolve("kafka"), Map.of())) {
            System.out.printf("ReplicatedClusterIT: %s started in %.1f s%n", cluster, (System.nanoTime() - t0) / 1e9);
            final String bootstrap = cluster.bootstrapServers();
            final String registry = DevRegistry.url();
            final String app = "replicated-" + System.nanoTime();
            MailflowConfig.Builder builder = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", bootstrap)
                .override("schema.registry.url", registry)
                .override("application.id", app)
                .override("mailflow.topic.partitions", Integer.toString(PARTITIONS))
                .override("mailflow.topic.retention", "infinite");
            for (final String define : REPLICATED) {
                builder = builder.override(define.substring(0, define.indexOf('=')), define.substring(define.indexOf('=') + 1));
            }
            final MailflowConfig config = builder.build();
            final Topics topics = new Topics(config);
            final MailflowConfig staging = config.with("mailflow.topic.traces", "staging.traces");
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
                TopicAdmin.ensure(admin, TopicAdmin.specs(staging), false);
                for (final Topic<?, ?> topic : topics.all()) {
                    assertReplicated(admin, topic.name());
                    final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
                    assertEquals("2", ClusterInstances.onceTopicKnown(() -> admin.describeConfigs(List.of(resource)).all()
                        .get(30, TimeUnit.SECONDS).get(resource)).get("min.insync.replicas").value(), topic.name() + ": min.insync.replicas");
                }
            }
            // the instances start while the replay fills the staging topic
            final Process a = instances.start("a", bootstrap, registry, app, REPLICATED);
            final Process b = instances.start("b", bootstrap, registry, app, REPLICATED);
            KafkaReplay.replay(staging, new Topics(staging), List.of(logs), ReplayOptions.defaults());
            final Map<Integer, List<ConsumerRecord<byte[], byte[]>>> staged = ClusterInstances.readTopic(bootstrap, "staging.traces", PARTITIONS);
            instances.awaitHealthy("a", Duration.ofSeconds(90));
            instances.awaitHealthy("b", Duration.ofSeconds(90));
            final long copyStart = System.nanoTime();

            ClusterInstances.copyPart(bootstrap, staged, 0, PARTS, topics.traces.name());
            Thread.sleep(3_000); // mid-run: the instances are busy with the first part
            final int stopped = coordinatorBroker(cluster, app);
            cluster.stopBroker(stopped);
            System.out.printf("ReplicatedClusterIT: broker %d (the group coordinator) stopped at %.1f s; under-replicated: %d partitions%n",
                cluster.brokerId(stopped), (System.nanoTime() - t0) / 1e9, cluster.underReplicatedPartitions().size());
            ClusterInstances.copyPart(bootstrap, staged, 1, PARTS, topics.traces.name()); // acks=all with two in-sync replicas
            Thread.sleep(3_000);
            b.destroyForcibly().waitFor(); // SIGKILL while the broker is down: no commit, no leave-group, an open transaction
            ClusterInstances.copyPart(bootstrap, staged, 2, PARTS, topics.traces.name());
            Thread.sleep(3_000);
            final long restart = System.nanoTime();
            cluster.startBroker(stopped);
            cluster.awaitFullyReplicated(Duration.ofSeconds(90));
            System.out.printf("ReplicatedClusterIT: broker %d back and every ISR whole %.1f s after its start%n",
                cluster.brokerId(stopped), (System.nanoTime() - restart) / 1e9);
            ClusterInstances.copyPart(bootstrap, staged, 3, PARTS, topics.traces.name());
            instances.awaitComplete(config, topics, app, List.of(a), DONE_TIMEOUT);
            final double analysed = (System.nanoTime() - copyStart) / 1e9;

            final Map<String, Map<String, List<String>>> outputs = ClusterInstances.outputs(config.kafkaProperties(), topics);
            ClusterInstances.assertSameAsReference("ReplicatedClusterIT", reference, outputs, "after the broker stop and the kill");
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                final List<String> internal = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(n -> n.startsWith(app + "-")).sorted().toList();
                assertTrue(internal.stream().anyMatch(n -> n.endsWith("-changelog")), "Streams made its changelogs: " + internal);
                for (final String name : internal) {
                    assertReplicated(admin, name);
                }
                System.out.printf("ReplicatedClusterIT: %d internal topics of Kafka Streams, all with 3 replicas%n", internal.size());
            }
            final Map<String, Integer> counts = ClusterInstances.counts(outputs);
            System.out.printf("ReplicatedClusterIT: alerts %d, NDRs %d, delay notices %d, stats windows %d, dead letters %d;"
                    + " analysed %.1f s after the copy began, test %.1f s (reference excluded)%n",
                counts.get("mailflow.alerts"), counts.get("mailflow.ndr"), counts.get("mailflow.delays"),
                counts.get("mailflow.connector-stats"), counts.get("mailflow.dead-letters"), analysed, (System.nanoTime() - t0) / 1e9);
        } finally {
            instances.close();
        }
    }

    /** The index of the broker that coordinates the application's group (where a stop hurts most). */
    private static int coordinatorBroker(final EmbeddedKafkaCluster cluster, final String group) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            final int id = admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group).coordinator().id();
            for (int i = 0; i < cluster.brokerCount(); i++) {
                if (cluster.brokerId(i) == id) {
                    return i;
                }
            }
            throw new AssertionError("the coordinator " + id + " is no broker of " + cluster);
        }
    }

    /** The topic's description, once the broker asked has the metadata of a topic created a moment ago. */
    private static TopicDescription describe(final Admin admin, final String topic) throws Exception {
        return ClusterInstances.onceTopicKnown(() -> admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic));
    }

    private static void assertReplicated(final Admin admin, final String topic) throws Exception {
        final TopicDescription d = describe(admin, topic);
        final Map<Integer, Integer> replicas = new TreeMap<>();
        for (final TopicPartitionInfo p : d.partitions()) {
            replicas.put(p.partition(), p.replicas().size());
        }
        assertTrue(replicas.values().stream().allMatch(n -> n == 3), topic + ": replicas per partition " + replicas);
    }
}
