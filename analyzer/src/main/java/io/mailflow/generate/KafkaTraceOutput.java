package io.mailflow.generate;

import io.mailflow.avro.MessageTrace;
import io.mailflow.ingest.KafkaTraceSink;
import io.mailflow.ingest.MessageKeys;
import java.io.IOException;
import org.apache.kafka.clients.producer.Producer;

/**
 * Produces generated records to the traces topic through replay's {@link KafkaTraceSink}, so they
 * are keyed ({@link MessageKeys#of}), stamped with their event time and their send errors handled
 * exactly as a replay of the same logs would. Unlike a replay, a generator run stops at the first
 * failed send: the records after it would describe a timeline the topic no longer has.
 */
public final class KafkaTraceOutput implements TraceOutput {
    private final Producer<String, MessageTrace> producer;
    private final String topic;
    private final KafkaTraceSink sink;

    /** Takes ownership of the producer: {@link #close()} flushes and closes it. */
    public KafkaTraceOutput(final Producer<String, MessageTrace> producer, final String topic) {
        this.producer = producer;
        this.topic = topic;
        this.sink = new KafkaTraceSink(producer, topic);
    }

    @Override
    public void accept(final MessageTrace trace) throws IOException {
        throwIfFailed();
        sink.accept(MessageKeys.of(trace), trace);
    }

    /** Records the broker has confirmed so far. */
    public long acknowledged() {
        return sink.sent();
    }

    private void throwIfFailed() throws IOException {
        if (sink.failures() > 0) {
            final Exception e = sink.firstError();
            throw new IOException("Producing to " + topic + " failed (" + sink.failures() + " records): "
                + (e == null ? "unknown error" : e.getMessage()), e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            sink.flush();
        } finally {
            producer.close();
        }
        throwIfFailed();
    }
}
