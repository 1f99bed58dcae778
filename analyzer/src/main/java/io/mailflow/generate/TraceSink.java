package io.mailflow.generate;

import io.mailflow.avro.MessageTrace;
import java.io.IOException;

/** Where generated trace records go: a log-file writer, a JSON-lines file, a Kafka topic, a test list. */
public interface TraceSink extends AutoCloseable {

    /** Takes the next record; records arrive in event-time order. */
    void accept(MessageTrace trace) throws IOException;

    /** Flushes and releases whatever the sink holds. */
    @Override
    void close() throws IOException;
}
