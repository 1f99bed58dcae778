package io.mailflow.generate;

import io.mailflow.avro.MessageTrace;
import io.mailflow.ingest.MessageKeys;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Produces trace records straight to the traces topic, keyed like ingest keys them
 * ({@link MessageKeys#of}) and stamped with their event time, so the analyzer sees exactly
 * what a replay of the same logs would give it.
 */
public final class KafkaTraceSink implements TraceSink {
    private final Producer<String, MessageTrace> producer;
    private final String topic;
    private final boolean closeProducer;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final AtomicLong acknowledged = new AtomicLong();

    public KafkaTraceSink(final Producer<String, MessageTrace> producer, final String topic, final boolean closeProducer) {
        this.producer = producer;
        this.topic = topic;
        this.closeProducer = closeProducer;
    }

    @Override
    public void accept(final MessageTrace trace) throws IOException {
        throwIfFailed();
        producer.send(new ProducerRecord<>(topic, null, trace.getEventTime().toEpochMilli(), MessageKeys.of(trace), trace),
            (metadata, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                } else {
                    acknowledged.incrementAndGet();
                }
            });
    }

    /** Records the broker has confirmed so far. */
    public long acknowledged() {
        return acknowledged.get();
    }

    private void throwIfFailed() throws IOException {
        final Exception e = failure.get();
        if (e != null) {
            throw new IOException("Producing to " + topic + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        producer.flush();
        if (closeProducer) {
            producer.close();
        }
        throwIfFailed();
    }
}
