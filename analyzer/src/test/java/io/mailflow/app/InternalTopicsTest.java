package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.config.MailflowConfig;
import io.mailflow.detect.StatsPreAggregator;
import io.mailflow.queue.QueueTracker;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No broker: a Kafka Streams client that is created but never started contacts none. */
@DisplayName("the embedded runtime creates the analyzer's internal topics up front, as Kafka Streams would")
class InternalTopicsTest {
    @TempDir
    Path stateDir;

    private Analyzer analyzer(final String partitions) throws InterruptedException {
        return analyzer(partitions, "1");
    }

    private Analyzer analyzer(final String partitions, final String connectorPartitions) throws InterruptedException {
        final MailflowConfig config = MailflowConfig.builder().defaults().build()
            .with("mailflow.detect.connector-partitions", connectorPartitions)
            .with("bootstrap.servers", "127.0.0.1:9")
            .with("schema.registry.url", "mock://internal-topics-test")
            .with("application.id", "itt")
            .with("state.dir", stateDir.toString())
            .with("mailflow.topic.partitions", partitions)
            .with("mailflow.detect.source-partitions", partitions);
        return new Analyzer(config);
    }

    private static Map<String, Integer> sources(final int partitions) {
        return Map.of("mailflow.traces", partitions, "mailflow.alerts", partitions, "mailflow.ndr", partitions,
            "mailflow.delays", partitions, "mailflow.connector-stats", partitions, "mailflow.raw-lines", partitions,
            "mailflow.dead-letters", Math.min(partitions, 3));
    }

    @Test
    @DisplayName("every repartition topic and every store's changelog, named after the application, with its sub-topology's task count:"
        + " the embedded partition count, or the connector stage's own")
    void repartitionTopicsAndChangelogs() throws Exception {
        final Analyzer analyzer = analyzer("3", "2");
        try {
            final List<NewTopic> topics = InternalTopics.of(analyzer.topology(), analyzer.properties(), 3, sources(3));
            final Set<String> names = new TreeSet<>();
            topics.forEach(t -> names.add(t.name()));
            final Set<String> repartition = new TreeSet<>();
            final Set<String> stores = new TreeSet<>();
            // a sub-topology fed by a repartition topic is the connector stage: 2 tasks, as set above
            final Map<String, Integer> tasks = new java.util.HashMap<>();
            for (final TopologyDescription.Subtopology sub : analyzer.topology().describe().subtopologies()) {
                final boolean connectorStage = sub.nodes().stream().anyMatch(n -> n instanceof TopologyDescription.Source source
                    && source.topicSet().stream().anyMatch(t -> t.endsWith("-repartition")));
                for (final TopologyDescription.Node node : sub.nodes()) {
                    if (node instanceof TopologyDescription.Source source) {
                        // describe() names them without the application id
                        source.topicSet().stream().filter(t -> t.endsWith("-repartition")).forEach(t -> {
                            repartition.add("itt-" + t);
                            tasks.put("itt-" + t, 2);
                        });
                    }
                    if (node instanceof TopologyDescription.Processor processor) {
                        stores.addAll(processor.stores());
                        processor.stores().forEach(st -> tasks.put("itt-" + st + "-changelog", connectorStage ? 2 : 3));
                    }
                }
            }
            assertFalse(repartition.isEmpty());
            for (final String r : repartition) {
                assertTrue(names.contains(r), r + " in " + names);
            }
            for (final NewTopic topic : topics) {
                assertTrue(topic.name().startsWith("itt-"), topic.name());
                assertEquals(tasks.get(topic.name()), topic.numPartitions(), topic.name());
                if (topic.name().endsWith("-changelog")) {
                    final String store = topic.name().substring("itt-".length(), topic.name().length() - "-changelog".length());
                    assertTrue(stores.contains(store), store + " is a store of the topology");
                    assertTrue(topic.configs().get("cleanup.policy").contains("compact"), topic.name() + " " + topic.configs());
                } else {
                    assertTrue(repartition.contains(topic.name()), topic.name());
                    assertEquals("delete", topic.configs().get("cleanup.policy"), topic.name());
                }
            }
            assertEquals(repartition.size() + names.stream().filter(n -> n.endsWith("-changelog")).count(), topics.size());
        } finally {
            analyzer.close();
        }
    }

    @Test
    @DisplayName("no changelog has a time retention: the window stores are logged in compacted batch logs, so replayed history is not deleted at once")
    void noChangelogHasATimeRetention() throws Exception {
        final Analyzer analyzer = analyzer("1");
        try {
            final Set<String> changelogs = new TreeSet<>();
            for (final NewTopic topic : InternalTopics.of(analyzer.topology(), analyzer.properties(), 1, sources(1))) {
                if (topic.name().endsWith("-changelog")) {
                    changelogs.add(topic.name());
                    assertEquals("compact", topic.configs().get("cleanup.policy"), topic.name() + " " + topic.configs());
                }
            }
            for (final String log : List.of(QueueTracker.ARRIVALS_LOG_STORE, QueueTracker.OUTCOMES_LOG_STORE, StatsPreAggregator.MESSAGES_LOG_STORE)) {
                assertTrue(changelogs.contains("itt-" + log + "-changelog"), log + " is logged: " + changelogs);
            }
            for (final String window : List.of(QueueTracker.ARRIVALS_STORE, QueueTracker.OUTCOMES_STORE, StatsPreAggregator.MESSAGES_STORE)) {
                assertFalse(changelogs.contains("itt-" + window + "-changelog"), window + " is logged through its batch log only");
            }
        } finally {
            analyzer.close();
        }
    }

    @Test
    @DisplayName("a source topic with another partition count: left to Kafka Streams")
    void otherPartitionCountsAreLeftToKafkaStreams() throws Exception {
        final Analyzer analyzer = analyzer("1");
        try {
            assertEquals(List.of(), InternalTopics.of(analyzer.topology(), analyzer.properties(), 1,
                Map.of("mailflow.traces", 2)));
        } finally {
            analyzer.close();
        }
    }
}
