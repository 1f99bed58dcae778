package io.mailflow.bench;

import io.mailflow.emit.Topics;
import java.util.Properties;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Named;

/**
 * Kafka Streams' own cost: read the traces topic and decode every Avro value, as mailflow's
 * source does, then do nothing with it. No output topic, so the difference to the raw consumer
 * is the Streams runtime (tasks, transactions, commits) and not a second write path.
 */
final class PassThroughTopology {
    static final LongAdder SEEN = new LongAdder();

    private PassThroughTopology() {
    }

    static Topology build(final Topics topics, final Properties props) {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topics.traces.name(), topics.traces.consumed("bench-traces-source"))
            .peek((key, trace) -> SEEN.increment(), Named.as("bench-count"));
        return builder.build(props);
    }
}
