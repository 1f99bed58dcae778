package io.mailflow.app;

import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.Topics;
import java.util.Properties;
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
        final Topics topics = new Topics(config);
        final Properties props = StreamsSettings.streamsProperties(config);
        final StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(props)));

        // Traces arrive keyed by message: every event of a message is in one partition.
        final KStream<String, MessageTrace> traces = builder.stream(topics.traces.name(), topics.traces.consumed("traces-source"));
        traces.peek((key, trace) -> { }, org.apache.kafka.streams.kstream.Named.as("traces-seen"));

        return builder.build(props);
    }
}
