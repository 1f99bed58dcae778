package io.mailflow.generate;

import io.mailflow.avro.MessageTrace;
import java.io.IOException;

/**
 * Where generated trace records go: a log-file writer, a JSON-lines file, a Kafka topic, a test list.
 * Not ingest's {@link io.mailflow.ingest.TraceSink}: an output takes unkeyed, already-valid records (there are no
 * rejected lines to dead-letter), fails with the I/O error that stops the run, and owns a file or producer to close.
 */
public interface TraceOutput extends AutoCloseable {

    /** Takes the next record; records arrive in event-time order. */
    void accept(MessageTrace trace) throws IOException;

    /** Flushes and releases whatever the output holds. */
    @Override
    void close() throws IOException;
}
