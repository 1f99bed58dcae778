package io.mailflow.bench;

import io.mailflow.app.EmbeddedKafka;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The Kafka cluster a benchmark runs on: an embedded single-node broker in this JVM, or the one
 * {@code --bootstrap-servers} names. Every topic and application id of a run starts with the
 * run's prefix, so runs never see each other's data and cleanup can find everything.
 */
final class BenchCluster implements AutoCloseable {
    private final EmbeddedKafka embedded;
    private final String bootstrapServers;
    private final String prefix;
    private final int partitions;
    private final Map<String, String> settings;
    private final Admin admin;

    private BenchCluster(final EmbeddedKafka embedded, final String bootstrapServers, final String prefix, final int partitions,
                         final Map<String, String> settings) {
        this.embedded = embedded;
        this.settings = Map.copyOf(settings);
        this.bootstrapServers = bootstrapServers;
        this.prefix = prefix;
        this.partitions = partitions;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /**
     * Starts an embedded broker when {@code bootstrapServers} is null. {@code settings} (mailflow,
     * Streams or client properties) apply to every app of the run.
     */
    static BenchCluster open(final String bootstrapServers, final int partitions, final Map<String, String> settings) {
        final String prefix = "bench-" + Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
        if (bootstrapServers != null) {
            return new BenchCluster(null, bootstrapServers, prefix, partitions, settings);
        }
        final EmbeddedKafka kafka = EmbeddedKafka.start();
        return new BenchCluster(kafka, kafka.bootstrapServers(), prefix, partitions, settings);
    }

    boolean embedded() {
        return embedded != null;
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    Admin admin() {
        return admin;
    }

    /** A fresh, prefixed name for an application id or a state directory. */
    String name(final String what) {
        return prefix + "-" + what;
    }

    /**
     * mailflow's configuration for one scope of the run: its own topics
     * ({@code PREFIX-SCOPE-traces}, {@code -alerts}, ...), the in-memory schema registry, the
     * run's partition count.
     */
    MailflowConfig config(final String scope) {
        MailflowConfig config = MailflowConfig.builder().defaults().flags(settings).build()
            .with("bootstrap.servers", bootstrapServers)
            .with("schema.registry.url", "mock://" + prefix)
            .with("mailflow.topic.partitions", Integer.toString(partitions))
            // the generator's event times are months old and retention runs on record timestamps:
            // with a finite retention the broker deletes the preloaded traces under the running apps
            .with("mailflow.topic.retention", "infinite");
        for (final String key : List.of("traces", "alerts", "ndr", "delays", "connector-stats", "dead-letters")) {
            config = config.with("mailflow.topic." + key, prefix + "-" + scope + "-" + key);
        }
        return config;
    }

    void createTopics(final MailflowConfig config) {
        TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
    }

    Map<TopicPartition, Long> endOffsets(final String topic) throws Exception {
        final Set<TopicPartition> tps = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
            .get(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toSet());
        final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        tps.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        final Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    /** Records of {@code ends} the group has not committed yet (its lag on those partitions). */
    long lag(final String groupId, final Map<TopicPartition, Long> ends) throws Exception {
        return total(lagByPartition(groupId, ends));
    }

    /** The records still to commit in a {@link #lagByPartition} answer. */
    static long total(final Map<Integer, Long> lagByPartition) {
        return lagByPartition.values().stream().mapToLong(l -> Math.max(0, l)).sum();
    }

    /** Lag per partition: progress lines, and when each partition was done. */
    Map<Integer, Long> lagByPartition(final String groupId, final Map<TopicPartition, Long> ends) throws Exception {
        final Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        final Map<Integer, Long> lag = new java.util.TreeMap<>();
        ends.forEach((tp, end) -> {
            final OffsetAndMetadata c = committed.get(tp);
            lag.put(tp.partition(), end - (c == null ? 0 : c.offset()));
        });
        return lag;
    }

    /** Deletes the run's topics (the traces, outputs and the Streams apps' internal topics). */
    void deleteRunTopics() {
        try {
            final Set<String> mine = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                .filter(t -> t.startsWith(prefix)).collect(Collectors.toSet());
            if (!mine.isEmpty()) {
                admin.deleteTopics(mine).all().get(60, TimeUnit.SECONDS);
            }
        } catch (final Exception e) {
            // leftovers are named by the run's prefix; not worth failing the benchmark over
        }
    }

    @Override
    public void close() {
        if (embedded == null) {
            deleteRunTopics();
        }
        admin.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
