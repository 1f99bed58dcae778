package io.mailflow.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.MessageTrace;
import io.mailflow.ingest.KafkaTraceSink;
import io.mailflow.ingest.MessageKeys;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Generating into Kafka")
class KafkaTraceOutputTest {
    private static final Serializer<MessageTrace> NO_BYTES = (topic, value) -> new byte[0];

    private static List<MessageTrace> traffic() throws Exception {
        return CollectingSink.run(GeneratorSettings.builder().seed(3).duration(Duration.ofMinutes(20)).build());
    }

    @Test
    @DisplayName("records go to the topic keyed by message and stamped with their event time, as a replay sends them")
    void keyedAndStampedLikeAReplay() throws Exception {
        final MockProducer<String, MessageTrace> producer = new MockProducer<>(true, null, new StringSerializer(), NO_BYTES);
        final List<MessageTrace> traces = traffic();
        final KafkaTraceOutput output = new KafkaTraceOutput(producer, "mailflow.traces");
        try (output) {
            for (final MessageTrace t : traces) {
                output.accept(t);
            }
        }
        assertEquals(traces.size(), producer.history().size());
        for (int i = 0; i < traces.size(); i++) {
            final ProducerRecord<String, MessageTrace> sent = producer.history().get(i);
            assertEquals("mailflow.traces", sent.topic());
            assertEquals(MessageKeys.of(traces.get(i)), sent.key());
            assertEquals(traces.get(i).getEventTime().toEpochMilli(), sent.timestamp());
        }
        assertEquals(traces.size(), output.acknowledged());
        assertTrue(producer.closed(), "the output owns its producer");
    }

    @Test
    @DisplayName("progress markers go to the topic with the records but are not counted as acknowledged records")
    void markersAreNotCountedAsRecords() throws Exception {
        final Node node = new Node(0, "localhost", 9092);
        final List<PartitionInfo> partitions = IntStream.range(0, 3)
            .mapToObj(p -> new PartitionInfo("mailflow.traces", p, node, new Node[] {node}, new Node[] {node})).toList();
        final MockProducer<String, MessageTrace> producer = new MockProducer<>(
            new Cluster("mock", List.of(node), partitions, Set.of(), Set.of()), true, null, new StringSerializer(), NO_BYTES);
        final List<MessageTrace> traces = traffic();
        final KafkaTraceOutput output = new KafkaTraceOutput(producer, "mailflow.traces");
        try (output) {
            for (final MessageTrace t : traces) {
                output.accept(t);
            }
        }
        assertEquals(traces.size(), output.acknowledged());
        final long markers = producer.history().stream().filter(r -> r.headers().lastHeader(KafkaTraceSink.PROGRESS_HEADER) != null).count();
        assertTrue(markers >= 3, "at least the final marker on each partition: " + markers);
        assertEquals(traces.size() + markers, producer.history().size());
    }

    @Test
    @DisplayName("a failed send stops the run at the next record, with the broker's reason")
    void aFailedSendStopsTheRun() throws Exception {
        final MockProducer<String, MessageTrace> producer = new MockProducer<>(false, null, new StringSerializer(), NO_BYTES);
        final List<MessageTrace> traces = traffic();
        final KafkaTraceOutput output = new KafkaTraceOutput(producer, "mailflow.traces");
        output.accept(traces.get(0));
        producer.errorNext(new TimeoutException("broker down"));
        final IOException stopped = assertThrows(IOException.class, () -> output.accept(traces.get(1)));
        assertTrue(stopped.getMessage().contains("broker down"), stopped.getMessage());
        assertEquals(1, producer.history().size(), "nothing more was sent");
        assertThrows(IOException.class, output::close, "closing reports the failure too");
        assertTrue(producer.closed());
    }
}
