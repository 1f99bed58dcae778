package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends traces to the traces topic and rejected lines to the dead-letter topic. The record
 * timestamp is the event time, so the Streams application's windows and deadlines see the
 * original timeline; the key is the message key. Send errors are counted (and the first one kept
 * for the report), never thrown from the replay loop.
 */
public final class KafkaTraceSink implements TraceSink {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaTraceSink.class);

    private final Producer<String, MessageTrace> traces;
    private final String tracesTopic;
    private final Producer<String, DeadLetter> deadLetters;
    private final String deadLetterTopic;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<Exception> firstError = new AtomicReference<>();
    private final Callback callback = (metadata, exception) -> {
        if (exception == null) {
            sent.incrementAndGet();
        } else if (failures.incrementAndGet() == 1) {
            firstError.set(exception);
            LOG.error("sending to Kafka failed (further errors are only counted)", exception);
        }
    };

    public KafkaTraceSink(final Producer<String, MessageTrace> traces, final String tracesTopic,
            final Producer<String, DeadLetter> deadLetters, final String deadLetterTopic) {
        this.traces = traces;
        this.tracesTopic = tracesTopic;
        this.deadLetters = deadLetters;
        this.deadLetterTopic = deadLetterTopic;
    }

    /**
     * A sink for sources that cannot reject anything (the traffic generator makes valid records):
     * traces only; {@link #reject} is a programming error there and throws.
     */
    public KafkaTraceSink(final Producer<String, MessageTrace> traces, final String tracesTopic) {
        this(traces, tracesTopic, null, null);
    }

    @Override
    public void accept(final String key, final MessageTrace trace) {
        send(() -> traces.send(new ProducerRecord<>(tracesTopic, null, trace.getEventTime().toEpochMilli(), key, trace), callback));
    }

    @Override
    public void reject(final DeadLetter deadLetter) {
        if (deadLetters == null) {
            throw new IllegalStateException("This sink has no dead-letter topic; rejected: " + deadLetter.getReason());
        }
        send(() -> deadLetters.send(new ProducerRecord<>(deadLetterTopic, null, deadLetter.getEventTime().toEpochMilli(),
                deadLetter.getSource(), deadLetter), callback));
    }

    /** send() itself may throw (serialization, buffer exhausted after max.block.ms): count, go on. */
    private void send(final Runnable send) {
        try {
            send.run();
        } catch (final RuntimeException e) {
            callback.onCompletion(null, e);
        }
    }

    @Override
    public void flush() {
        traces.flush();
        if (deadLetters != null && (Object) deadLetters != traces) {
            deadLetters.flush();
        }
    }

    @Override
    public long failures() {
        return failures.get();
    }

    /** Records and dead letters acknowledged by the broker. */
    public long sent() {
        return sent.get();
    }

    /** The first send error, or null. */
    public Exception firstError() {
        return firstError.get();
    }
}
