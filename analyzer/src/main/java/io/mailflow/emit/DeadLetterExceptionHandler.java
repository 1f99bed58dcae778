package io.mailflow.emit;

import io.mailflow.avro.DeadLetter;
import io.mailflow.serde.SpecificAvroSerde;
import io.micrometer.core.instrument.Metrics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records that cannot be deserialized or processed to the dead-letter topic, with the
 * reason and the topic/partition/offset they came from, and lets the application go on. The
 * dead letter is produced by Streams inside the same transaction as the rest of the task's
 * output (KIP-1034), so with exactly-once a poison record is neither lost nor dead-lettered twice.
 */
public final class DeadLetterExceptionHandler implements DeserializationExceptionHandler, ProcessingExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterExceptionHandler.class);
    public static final String DEAD_LETTER_TOPIC_CONFIG = "mailflow.topic.dead-letters";

    private String topic = "mailflow.dead-letters";
    private Serializer<DeadLetter> serializer;

    @Override
    public void configure(final Map<String, ?> configs) {
        final Object name = configs.get(DEAD_LETTER_TOPIC_CONFIG);
        if (name != null) {
            topic = name.toString();
        }
        final SpecificAvroSerde<DeadLetter> serde = new SpecificAvroSerde<>(DeadLetter.class);
        serde.configure(configs, false);
        serializer = serde.serializer();
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(final ErrorHandlerContext context,
                                                               final ConsumerRecord<byte[], byte[]> record,
                                                               final Exception exception) {
        if (isInfrastructureFault(exception)) {
            LOG.warn("Record {}/{}/{} not read because of a fault of the registry or broker, not of the record; "
                + "the task fails and is retried: {}", record.topic(), record.partition(), record.offset(), DeadLetters.reasonOf(exception));
            return DeserializationExceptionHandler.Response.fail();
        }
        final DeadLetter letter = DeadLetters.forRecord(record.topic(), record.partition(), record.offset(),
            "cannot deserialize: " + DeadLetters.reasonOf(exception), record.value(), DeadLetters.STAGE_DESERIALIZE,
            record.timestamp());
        return DeserializationExceptionHandler.Response.resume(List.of(toProducerRecord(record.key(), letter)));
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(final ErrorHandlerContext context, final Record<?, ?> record,
                                                          final Exception exception) {
        if (isInfrastructureFault(exception)) {
            LOG.warn("Record {}/{}/{} not processed in {} because of a fault of the registry or broker, not of the record; "
                + "the task fails and is retried: {}", context.topic(), context.partition(), context.offset(), context.processorNodeId(),
                DeadLetters.reasonOf(exception));
            return ProcessingExceptionHandler.Response.fail();
        }
        final DeadLetter letter = DeadLetters.forRecord(context.topic(), context.partition(), context.offset(),
            "processing failed in " + context.processorNodeId() + ": " + DeadLetters.reasonOf(exception),
            context.sourceRawValue(), DeadLetters.STAGE_PROCESS, context.timestamp());
        if (letter.getRaw() == null && record.value() != null) {
            letter.setRaw(String.valueOf(record.value()));
        }
        LOG.warn("Record {} sent to {}: {}", letter.getSource(), topic, letter.getReason(), exception);
        return ProcessingExceptionHandler.Response.resume(List.of(toProducerRecord(context.sourceRawKey(), letter)));
    }

    /**
     * A dead letter is for input that can never be read. A registry that could not be reached or
     * failed inside (after the client's own retries), or a retriable broker error, says nothing
     * about the record: the task fails instead, Kafka Streams restarts it, and the record is
     * processed again once the fault is gone.
     */
    public static boolean isInfrastructureFault(final Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof io.mailflow.serde.SchemaRegistryException registry && registry.isTransient()) {
                return true;
            }
            if (t instanceof org.apache.kafka.common.errors.RetriableException) {
                return true;
            }
        }
        return false;
    }

    private ProducerRecord<byte[], byte[]> toProducerRecord(final byte[] key, final DeadLetter letter) {
        Metrics.counter("mailflow.dead.letters", "stage", letter.getStage()).increment();
        return new ProducerRecord<byte[], byte[]>(topic, null, letter.getEventTime().toEpochMilli(), key,
            serializer.serialize(topic, letter));
    }
}
