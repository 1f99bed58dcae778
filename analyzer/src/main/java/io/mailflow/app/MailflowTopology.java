package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.detect.ConnectorHealth;
import io.mailflow.config.DetectionConfig;
import io.mailflow.config.QueueConfig;
import io.mailflow.queue.QueueTracking;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.ReplayRepeats;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.Stores;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.KStream;

/**
 * The whole mailflow topology, wired in one place so it reads like the diagram in
 * docs/architecture.md. The same method serves `mailflow run`, the embedded runtime,
 * TopologyTestDriver specifications and the benchmark.
 */
public final class MailflowTopology {
    private MailflowTopology() {
    }

    public static Topology build(final MailflowConfig config) {
        return build(config, new Topics(config));
    }

    /** Every value subject the topology writes, with its schema, to be registered before it starts. */
    public static Map<String, Schema> valueSubjects(final MailflowConfig config) {
        final Topics topics = new Topics(config);
        build(config, topics);
        return topics.valueSubjects(config.require(StreamsConfig.APPLICATION_ID_CONFIG));
    }

    private static Topology build(final MailflowConfig config, final Topics topics) {
        final Properties props = StreamsSettings.streamsProperties(config);
        final StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(props)));

        // Traces arrive keyed by message: every event of a message is in one partition, so the
        // queue tracker needs no repartition; connector-keyed work repartitions small records only.
        // a replay run sent again (repeated, or resumed after a failure) is analysed once
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ReplayRepeats.STORE),
            Serdes.String(), Serdes.String()).withCachingEnabled());
        final KStream<String, MessageTrace> traces = builder.stream(topics.traces.name(), topics.traces.consumed("traces-source"))
            .processValues(ReplayRepeats::new, Named.as("replay-repeats"), ReplayRepeats.STORE);

        // track: every queued recipient to delivery, delay notice or expiry NDR; every bounce to an NDR
        final KStream<String, ConnectorQueueSnapshot> queueSnapshots =
            QueueTracking.addTo(builder, traces, topics, QueueConfig.from(config));

        // detect: stats windows, failure episodes and backlog alerts per connector
        ConnectorHealth.addTo(builder, traces, queueSnapshots, topics, DetectionConfig.from(config),
            ConnectorHealth.catalogFrom(config));

        return builder.build(props);
    }
}
