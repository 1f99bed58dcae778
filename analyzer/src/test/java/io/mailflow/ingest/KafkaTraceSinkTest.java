package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kafka sink")
class KafkaTraceSinkTest {
    private static <T> Serializer<T> noop() {
        return (topic, value) -> new byte[0];
    }

    @Test
    @DisplayName("traces go out keyed by message with the event time as record timestamp; dead letters keyed by file:line")
    void sendsWithEventTime() throws InterruptedException {
        final MockProducer<String, MessageTrace> traces = new MockProducer<>(true, null, new StringSerializer(), noop());
        final MockProducer<String, DeadLetter> deadLetters = new MockProducer<>(true, null, new StringSerializer(), noop());
        final KafkaTraceSink sink = new KafkaTraceSink(traces, "mailflow.traces", deadLetters, "mailflow.dead-letters");

        final ReplaySummary summary = new Replayer().replay(List.of(Fixtures.resource("postfix_interleaved.log")), Fixtures.options(), sink);

        assertEquals(11, traces.history().size());
        final ProducerRecord<String, MessageTrace> first = traces.history().get(0);
        assertEquals("mailflow.traces", first.topic());
        assertEquals(first.value().getEventTime().toEpochMilli(), first.timestamp());
        assertEquals(MessageKeys.of(first.value()), first.key());
        assertEquals(4, deadLetters.history().size());
        assertTrue(deadLetters.history().get(0).key().endsWith("postfix_interleaved.log:17"));
        assertEquals(15, sink.sent());
        assertEquals(0, summary.sinkFailures());
        assertTrue(traces.flushed());
    }

    @Test
    @DisplayName("send errors are counted, not thrown, and the first is kept")
    void countsErrors() {
        final MockProducer<String, MessageTrace> traces = new MockProducer<>(false, null, new StringSerializer(), noop());
        final MockProducer<String, DeadLetter> deadLetters = new MockProducer<>(true, null, new StringSerializer(), noop());
        final KafkaTraceSink sink = new KafkaTraceSink(traces, "t", deadLetters, "d");
        final MessageTrace trace = Fixtures.replay(Fixtures.resource("postfix_rfc3339.log")).sink().traces().get(0);
        sink.accept("k", trace);
        sink.accept("k", trace);
        traces.errorNext(new org.apache.kafka.common.errors.TimeoutException("broker down"));
        traces.completeNext();
        assertEquals(1, sink.failures());
        assertEquals(1, sink.sent());
        assertEquals("broker down", sink.firstError().getMessage());
    }

    @Test
    @DisplayName("a traces-only sink refuses dead letters instead of dropping them")
    void tracesOnlySinkRefusesDeadLetters() {
        final MockProducer<String, MessageTrace> traces = new MockProducer<>(true, null, new StringSerializer(), noop());
        final KafkaTraceSink sink = new KafkaTraceSink(traces, "t");
        final DeadLetter deadLetter = Fixtures.replay(Fixtures.resource("postfix_interleaved.log")).sink().deadLetters.get(0);
        assertThrows(IllegalStateException.class, () -> sink.reject(deadLetter));
        sink.flush();
        assertTrue(traces.flushed());
    }
}
