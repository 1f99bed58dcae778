package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.detect.TestTraces;
import io.mailflow.serde.SpecificAvroSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
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

    @Nested
    @DisplayName("progress markers")
    class ProgressMarkers {
        private static final String TOPIC = "mailflow.traces";
        private static final int PARTITIONS = 3;
        private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");

        private static MockProducer<String, MessageTrace> producer() {
            final Node node = new Node(0, "localhost", 9092);
            final List<PartitionInfo> partitions = IntStream.range(0, PARTITIONS)
                .mapToObj(p -> new PartitionInfo(TOPIC, p, node, new Node[] {node}, new Node[] {node})).toList();
            final Cluster cluster = new Cluster("mock", List.of(node), partitions, Set.of(), Set.of());
            return new MockProducer<>(cluster, true, null, new StringSerializer(), noop());
        }

        /** The producer's own choice for a key (the oracle the sink's partition arithmetic must match). */
        private static int producerPartition(final String key) {
            return BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), PARTITIONS);
        }

        /** A message key the producer puts on the given partition. */
        private static String keyOn(final int partition) {
            for (int i = 0; ; i++) {
                final String key = "message-" + i;
                if (producerPartition(key) == partition) {
                    return key;
                }
            }
        }

        private static Instant at(final String time) {
            return Instant.parse("2026-11-30T" + time + "Z");
        }

        private static void send(final KafkaTraceSink sink, final String key, final Instant at) {
            sink.accept(key, TestTraces.delivery("outbound", at, "<" + key + "@example.com>"));
        }

        private static boolean isMarker(final ProducerRecord<String, MessageTrace> r) {
            return r.headers().lastHeader(KafkaTraceSink.PROGRESS_HEADER) != null;
        }

        /** A record as "trace p1 10:00:05" or "marker p2 10:01:10" (traces: the partition the producer picks, ? without key). */
        private static String describe(final ProducerRecord<String, MessageTrace> r) {
            final String time = Instant.ofEpochMilli(r.timestamp()).toString().substring(11, 19);
            return isMarker(r) ? "marker p" + r.partition() + " " + time
                : "trace p" + (r.key() == null ? "?" : producerPartition(r.key())) + " " + time;
        }

        private static List<String> described(final MockProducer<String, MessageTrace> producer) {
            return producer.history().stream().map(ProgressMarkers::describe).toList();
        }

        @Test
        @DisplayName("a trace in a later minute is preceded by a marker at its event time on each partition that got no trace since the last crossing")
        void crossingMarksIdlePartitions() {
            final MockProducer<String, MessageTrace> producer = producer();
            final KafkaTraceSink sink = new KafkaTraceSink(producer, TOPIC);
            send(sink, keyOn(0), at("10:00:05"));
            send(sink, keyOn(2), at("10:00:40"));
            send(sink, keyOn(0), at("10:01:10"));
            send(sink, keyOn(0), at("10:01:50"));
            send(sink, keyOn(1), at("10:04:30"));

            assertEquals(List.of(
                "trace p0 10:00:05",
                "trace p2 10:00:40",
                "marker p1 10:01:10",
                "trace p0 10:01:10",
                "trace p0 10:01:50",
                "marker p1 10:04:30",
                "marker p2 10:04:30",
                "trace p1 10:04:30"), described(producer));
            assertEquals(5, sink.sent(), "markers are not counted as sent traces");
            assertEquals(3, sink.markers());
        }

        @Test
        @DisplayName("the first trace and traces within the same minute send no markers, however late in the minute")
        void noMarkersWithinAMinute() {
            final MockProducer<String, MessageTrace> producer = producer();
            final KafkaTraceSink sink = new KafkaTraceSink(producer, TOPIC);
            send(sink, keyOn(1), at("10:00:59.999"));
            send(sink, keyOn(1), at("10:00:59.999"));
            assertEquals(List.of("trace p1 10:00:59", "trace p1 10:00:59"), described(producer));
        }

        @Test
        @DisplayName("flush marks every partition at the largest event time accepted, once")
        void flushMarksEveryPartitionOnce() {
            final MockProducer<String, MessageTrace> producer = producer();
            final KafkaTraceSink sink = new KafkaTraceSink(producer, TOPIC);
            send(sink, keyOn(0), at("10:00:05"));
            send(sink, keyOn(1), at("10:00:20.250"));
            sink.flush();
            sink.flush();

            assertEquals(List.of(
                "trace p0 10:00:05",
                "trace p1 10:00:20",
                "marker p0 10:00:20",
                "marker p1 10:00:20",
                "marker p2 10:00:20"), described(producer));
            assertTrue(producer.history().stream().filter(ProgressMarkers::isMarker)
                .allMatch(r -> r.timestamp() == at("10:00:20.250").toEpochMilli()));
            assertTrue(producer.flushed());
            assertEquals(2, sink.sent());
            assertEquals(3, sink.markers());
        }

        @Test
        @DisplayName("flush without any trace sends no marker")
        void flushWithoutTracesSendsNothing() {
            final MockProducer<String, MessageTrace> producer = producer();
            new KafkaTraceSink(producer, TOPIC).flush();
            assertTrue(producer.history().isEmpty());
        }

        @Test
        @DisplayName("a marker has key and value null, an explicit partition, and the header mailflow.progress = its timestamp in ASCII decimal")
        void markerFormat() {
            final MockProducer<String, MessageTrace> producer = producer();
            final KafkaTraceSink sink = new KafkaTraceSink(producer, TOPIC);
            send(sink, keyOn(0), at("10:00:05"));
            send(sink, keyOn(0), at("10:01:10.123"));
            sink.flush();

            final List<ProducerRecord<String, MessageTrace>> markers = producer.history().stream().filter(ProgressMarkers::isMarker).toList();
            assertEquals(2 + PARTITIONS, markers.size());
            for (final ProducerRecord<String, MessageTrace> marker : markers) {
                assertEquals(TOPIC, marker.topic());
                assertNull(marker.key());
                assertNull(marker.value());
                assertTrue(marker.partition() != null && marker.partition() >= 0 && marker.partition() < PARTITIONS);
                final Header[] headers = marker.headers().toArray();
                assertEquals(1, headers.length);
                assertEquals("mailflow.progress", headers[0].key());
                assertEquals(Long.toString(marker.timestamp()), new String(headers[0].value(), StandardCharsets.US_ASCII));
            }
            assertEquals("1796032870123", new String(markers.get(0).headers().lastHeader(KafkaTraceSink.PROGRESS_HEADER).value(),
                StandardCharsets.US_ASCII));
            assertTrue(producer.history().stream().filter(r -> !isMarker(r)).allMatch(r -> r.headers().toArray().length == 0),
                "traces carry no progress header");
        }

        @Test
        @DisplayName("the traces serializer writes a marker's null value as null, without needing the registry")
        void nullValueSerializesToNull() {
            final SpecificAvroSerde<MessageTrace> unconfigured = new SpecificAvroSerde<>(MessageTrace.class);
            assertNull(unconfigured.serializer().serialize(TOPIC, null));
        }

        @Test
        @DisplayName("a trace without key marks no partition as having received it")
        void keylessTraceMarksNoPartition() {
            final MockProducer<String, MessageTrace> producer = producer();
            final KafkaTraceSink sink = new KafkaTraceSink(producer, TOPIC);
            send(sink, keyOn(0), at("10:00:05"));
            sink.accept(null, TestTraces.delivery("outbound", at("10:00:30"), "<none@example.com>"));
            send(sink, keyOn(0), at("10:01:10"));
            assertEquals(List.of("trace p0 10:00:05", "trace p? 10:00:30", "marker p1 10:01:10", "marker p2 10:01:10",
                "trace p0 10:01:10"), described(producer));
        }

        @Test
        @DisplayName("the interval Duration.ZERO turns markers off, at crossings and at flush")
        void zeroIntervalSendsNoMarkers() {
            final MockProducer<String, MessageTrace> producer = producer();
            producer.partitionsForException = new IllegalStateException("markers off: the partitions are not needed");
            final KafkaTraceSink sink = new KafkaTraceSink(producer, TOPIC, Duration.ZERO);
            send(sink, keyOn(0), at("10:00:05"));
            send(sink, keyOn(0), at("10:05:05"));
            sink.flush();
            assertEquals(List.of("trace p0 10:00:05", "trace p0 10:05:05"), described(producer));
            assertEquals(0, sink.markers());
            assertEquals(0, sink.failures());
        }

        @Test
        @DisplayName("another interval moves the grid: with 5 minutes, 10:01 to 10:04 is no crossing, 10:05 is")
        void otherInterval() {
            final MockProducer<String, MessageTrace> producer = producer();
            final KafkaTraceSink sink = new KafkaTraceSink(producer, TOPIC, Duration.ofMinutes(5));
            send(sink, keyOn(0), at("10:01:00"));
            send(sink, keyOn(0), at("10:04:59"));
            send(sink, keyOn(0), at("10:05:00"));
            assertEquals(List.of("trace p0 10:01:00", "trace p0 10:04:59", "marker p1 10:05:00", "marker p2 10:05:00",
                "trace p0 10:05:00"), described(producer));
        }

        @Test
        @DisplayName("if the partitions cannot be looked up, that is a send failure and no markers are written")
        void partitionLookupFailureIsCounted() {
            final MockProducer<String, MessageTrace> producer = producer();
            producer.partitionsForException = new org.apache.kafka.common.errors.TimeoutException("no metadata");
            final KafkaTraceSink sink = new KafkaTraceSink(producer, TOPIC);
            send(sink, keyOn(0), at("10:00:05"));
            send(sink, keyOn(0), at("10:05:05"));
            sink.flush();
            assertEquals(1, sink.failures());
            assertEquals("no metadata", sink.firstError().getMessage());
            assertEquals(List.of("trace p0 10:00:05", "trace p0 10:05:05"), described(producer));
        }

        @Test
        @DisplayName("a trace's partition is the producer's default partition for its key")
        void partitionLikeTheProducer() {
            for (int i = 0; i < 1000; i++) {
                final String key = "<" + i + "@example.com>|user" + i + "@contoso.com|ü";
                for (final int n : new int[] {1, 3, 7, 12}) {
                    assertEquals(BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), n), KafkaTraceSink.partitionOf(key, n));
                }
            }
        }

        @Test
        @DisplayName("two sinks fed the same traces write the same records in the same order (partition, timestamp, key, header)")
        void deterministic() {
            final List<String> keys = new ArrayList<>();
            final List<Instant> times = new ArrayList<>();
            final Random random = new Random(42);
            Instant t = T0;
            for (int i = 0; i < 400; i++) {
                t = t.plusMillis(random.nextInt(i % 50 == 49 ? 600_000 : 20_000));
                keys.add(random.nextInt(10) == 0 ? null : "message-" + random.nextInt(40));
                times.add(t);
            }
            final List<List<String>> runs = new ArrayList<>();
            for (int run = 0; run < 2; run++) {
                final MockProducer<String, MessageTrace> producer = producer();
                final KafkaTraceSink sink = new KafkaTraceSink(producer, TOPIC);
                for (int i = 0; i < keys.size(); i++) {
                    sink.accept(keys.get(i), TestTraces.delivery("outbound", times.get(i), "<" + i + "@example.com>"));
                }
                sink.flush();
                runs.add(producer.history().stream().map(r -> {
                    final Header h = r.headers().lastHeader(KafkaTraceSink.PROGRESS_HEADER);
                    return (r.partition() != null ? r.partition() : r.key() == null ? "?" : producerPartition(r.key()))
                        + " " + r.timestamp() + " " + r.key() + " " + (h == null ? "-" : new String(h.value(), StandardCharsets.US_ASCII))
                        + " " + (r.value() == null ? "-" : r.value().getMessageId());
                }).toList());
            }
            assertEquals(runs.get(0), runs.get(1));
            assertTrue(runs.get(0).size() > keys.size() + PARTITIONS, "markers at crossings and at the end: " + (runs.get(0).size() - keys.size()));
        }
    }
}
