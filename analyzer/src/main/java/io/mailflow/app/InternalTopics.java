package io.mailflow.app;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.internals.InternalTopicConfig;
import org.apache.kafka.streams.processor.internals.InternalTopologyBuilder;
import org.apache.kafka.streams.processor.internals.TopologyMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The analyzer's internal topics (changelogs and repartition topics) as Kafka Streams would create
 * them, for the embedded runtime to create them up front, together with mailflow's own topics. Kafka
 * Streams creates missing internal topics during the first rebalance, waits until each is ready
 * (about a second for 19 topics on a laptop) and then rebalances a second time because the metadata
 * of the topics it subscribed to changed; when they exist already it does neither.
 *
 * <p>The names and configurations come from Kafka Streams itself (its internal topology builder,
 * read after the {@code KafkaStreams} client has named the topics after the application id). The
 * partition counts are the embedded ones: a sub-topology has as many tasks as its source topic has
 * partitions (the traces topic, or a repartition topic with its own count).
 * Anything unexpected (another Kafka Streams version, a source topic with another partition count)
 * gives an empty list, and Kafka Streams creates the topics as usual. Only for the embedded runtime:
 * on a cluster the topics are Kafka Streams' to create and validate.
 */
final class InternalTopics {
    private static final Logger LOG = LoggerFactory.getLogger(InternalTopics.class);

    private InternalTopics() {
    }

    /**
     * @param topology       the topology of a constructed {@code KafkaStreams} client
     * @param streamsProps   the properties that client was created with
     * @param partitions     the partition count of every source topic and so of every task
     * @param topicPartitions the partition counts of the non-internal topics that will exist
     * @return the topics to create, or an empty list to leave them to Kafka Streams
     */
    static List<NewTopic> of(final Topology topology, final Properties streamsProps, final int partitions,
                             final Map<String, Integer> topicPartitions) {
        try {
            final StreamsConfig streamsConfig = new StreamsConfig(streamsProps);
            final String prefix = streamsConfig.getString(StreamsConfig.APPLICATION_ID_CONFIG) + "-";
            final short replication = streamsConfig.getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG).shortValue();
            final Map<String, NewTopic> topics = new HashMap<>();
            for (final Described topic : read(builder(topology), streamsConfig)) {
                for (final String source : topic.sources()) {
                    if (topicPartitions.getOrDefault(source, -1) != partitions) {
                        LOG.debug("Source topic {} does not have {} partitions: internal topics left to Kafka Streams", source, partitions);
                        return List.of();
                    }
                }
                if (!topic.name().startsWith(prefix)) {
                    LOG.debug("Internal topic {} is not named after the application yet: left to Kafka Streams", topic.name());
                    return List.of();
                }
                topics.put(topic.name(), new NewTopic(topic.name(), Optional.of(topic.tasks() < 0 ? partitions : topic.tasks()),
                    replication < 0 ? Optional.empty() : Optional.of(replication)).configs(topic.configs()));
            }
            return List.copyOf(topics.values());
        } catch (final ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("Cannot read the internal topics of the topology: left to Kafka Streams", e);
            return List.of();
        }
    }

    /**
     * One internal topic of a sub-topology, as Kafka Streams will create it.
     *
     * @param sources the sub-topology's source topics that are not internal (the traces topic, the raw lines topic)
     * @param tasks   the sub-topology's task count when a repartition topic of its own count feeds
     *                it (and so this topic's partition count); -1 when it has a task per partition
     *                of its source topics
     */
    record Described(int subtopology, SortedSet<String> sources, int tasks, String name, boolean changelog, Map<String, String> configs) {
    }

    /**
     * Every changelog and repartition topic of {@code topology}, named after the application id of
     * {@code streamsProps}, by sub-topology and name: what {@code mailflow topology} prints.
     *
     * @throws IllegalStateException when this Kafka Streams version does not let them be read
     */
    static List<Described> describe(final Topology topology, final Properties streamsProps) {
        try {
            final InternalTopologyBuilder builder = builder(topology);
            final StreamsConfig streamsConfig = new StreamsConfig(streamsProps);
            // as a KafkaStreams client does: names the internal topics after the application id and
            // notes which stores log to a changelog (nothing is opened or connected)
            builder.rewriteTopology(streamsConfig);
            builder.buildTopology();
            return read(builder, streamsConfig);
        } catch (final ReflectiveOperationException | RuntimeException | LinkageError e) {
            throw new IllegalStateException("Cannot read the internal topics of the topology from this Kafka Streams version: " + e, e);
        }
    }

    /** The internal topics Kafka Streams' builder holds, by sub-topology and name, with the configurations it will create them with. */
    private static List<Described> read(final InternalTopologyBuilder builder, final StreamsConfig streamsConfig)
        throws ReflectiveOperationException {
        final Map<String, String> defaults = new HashMap<>(); // the topic.* settings, which Kafka Streams applies to every internal topic
        streamsConfig.originalsWithPrefix(StreamsConfig.TOPIC_PREFIX).forEach((k, v) -> defaults.put(k, String.valueOf(v)));
        final long windowRetention = streamsConfig.getLong(StreamsConfig.WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG);
        final Field id = TopologyMetadata.Subtopology.class.getDeclaredField("nodeGroupId");
        id.setAccessible(true);
        final List<Described> described = new ArrayList<>();
        for (final Map.Entry<TopologyMetadata.Subtopology, InternalTopologyBuilder.TopicsInfo> sub : builder.subtopologyToTopicsInfo().entrySet()) {
            final int subtopology = id.getInt(sub.getKey());
            final InternalTopologyBuilder.TopicsInfo info = sub.getValue();
            final TreeSet<String> sources = new TreeSet<>(info.sourceTopics);
            sources.removeAll(info.repartitionSourceTopics.keySet());
            final SortedSet<String> view = Collections.unmodifiableSortedSet(sources);
            // a sub-topology fed by a repartition topic has as many tasks as that topic has partitions
            final int tasks = info.repartitionSourceTopics.values().stream().map(c -> c.numberOfPartitions().orElse(-1))
                .findFirst().orElse(-1);
            for (final InternalTopicConfig c : info.stateChangelogTopics.values()) {
                described.add(new Described(subtopology, view, tasks, c.name(), true, new TreeMap<>(c.properties(defaults, windowRetention))));
            }
            for (final InternalTopicConfig c : info.repartitionSourceTopics.values()) {
                described.add(new Described(subtopology, view, tasks, c.name(), false, new TreeMap<>(c.properties(defaults, windowRetention))));
            }
        }
        described.sort(Comparator.comparingInt(Described::subtopology).thenComparing(Described::name));
        return described;
    }

    /** Kafka Streams' own builder behind a {@code Topology}: the one place its internal topics are known before a start. */
    private static InternalTopologyBuilder builder(final Topology topology) throws ReflectiveOperationException {
        final Field field = Topology.class.getDeclaredField("internalTopologyBuilder");
        field.setAccessible(true);
        return (InternalTopologyBuilder) field.get(topology);
    }
}
