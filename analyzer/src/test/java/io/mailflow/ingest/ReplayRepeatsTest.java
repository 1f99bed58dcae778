package io.mailflow.ingest;

import static io.mailflow.detect.TestTraces.deferral;
import static io.mailflow.detect.TestTraces.delivery;
import static io.mailflow.detect.TestTraces.minutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.mailflow.config.MailflowConfig;
import io.mailflow.app.MailflowTopology;
import io.mailflow.app.StreamsSettings;
import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.AvroJson;
import io.mailflow.emit.Topic;
import io.mailflow.emit.Topics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A replay run sent again (repeated, or resumed after a failure) is analysed once")
class ReplayRepeatsTest {

    /**
     * 26 hours: a partner connector refuses connections for the first 50 minutes, so 30 messages
     * queue; 25 are delivered once it is back, 5 stay deferred until they expire (delay notices,
     * NDRs and an alert); a second connector delivers every 10 minutes throughout.
     */
    private static List<MessageTrace> run() {
        final List<MessageTrace> traces = new ArrayList<>();
        for (int m = 0; m < 26 * 60; m += 10) {
            traces.add(delivery("To HQ", minutes(m), "<hq" + m + "@fabrikam.example>"));
            for (int i = 0; i < 30; i++) {
                final String id = "<p" + i + "@fabrikam.example>";
                final boolean stuck = i < 5;
                if (m == 60 && !stuck) {
                    traces.add(delivery("Partner - Contoso", minutes(m + 1), id));
                } else if (m < 60 || stuck) {
                    if (m % 30 == 0) {
                        traces.add(deferral("Partner - Contoso", "4.4.316", minutes(m + 1 + i / 10.0), id));
                    }
                }
            }
        }
        return traces;
    }

    private static final class Analysis implements AutoCloseable {
        private final TopologyTestDriver driver;
        private final Topics topics;
        private final TestInputTopic<String, MessageTrace> traces;

        Analysis() {
            final MailflowConfig config = MailflowConfig.builder().defaults()
                .override("schema.registry.url", "mock://replay-repeats-test")
                .override("application.id", "replay-repeats-test")
                .build();
            topics = new Topics(config);
            final Properties props = StreamsSettings.streamsProperties(config);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
            driver = new TopologyTestDriver(MailflowTopology.build(config), props, minutes(0));
            traces = driver.createInputTopic(topics.traces.name(), Serdes.String().serializer(), topics.traces.valueSerde().serializer());
        }

        /** Pipes records {@code from} to {@code to} (exclusive) of run {@code runId}, with their run headers. */
        void replay(final String runId, final List<MessageTrace> run, final int from, final int to) {
            for (int i = from; i < to; i++) {
                final MessageTrace t = run.get(i);
                final RecordHeaders headers = new RecordHeaders();
                if (runId != null) {
                    headers.add(ReplayRun.HEADER, ReplayRun.header(runId, i));
                }
                traces.pipeInput(new TestRecord<>(MessageKeys.of(t), t, headers, t.getEventTime()));
            }
        }

        /** Every output topic's records so far, as JSON with their timestamps. */
        Map<String, List<String>> outputs() {
            final Map<String, List<String>> out = new LinkedHashMap<>();
            for (final Topic<String, ? extends SpecificRecord> topic : List.of(topics.alerts, topics.ndr, topics.delays,
                topics.connectorStats, topics.deadLetters)) {
                out.put(topic.name(), read(topic));
            }
            return out;
        }

        private <V extends SpecificRecord> List<String> read(final Topic<String, V> topic) {
            final List<String> records = new ArrayList<>();
            driver.createOutputTopic(topic.name(), Serdes.String().deserializer(), topic.valueSerde().deserializer())
                .readRecordsToList().forEach(r -> records.add(r.getKey() + " " + r.timestamp() + " " + AvroJson.toJson((IndexedRecord) r.getValue())));
            return records;
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    private static Map<String, List<String>> once(final List<MessageTrace> run) {
        try (Analysis analysis = new Analysis()) {
            analysis.replay("run-a", run, 0, run.size());
            return analysis.outputs();
        }
    }

    @Test
    void theSameRunTwiceChangesNothingTheSecondTime() {
        final List<MessageTrace> run = run();
        final Map<String, List<String>> expected = once(run);
        assertFalse(expected.get("mailflow.ndr").isEmpty(), "the scenario returns the stuck messages to their senders");
        assertFalse(expected.get("mailflow.delays").isEmpty(), "and sends delay notices");
        assertFalse(expected.get("mailflow.alerts").isEmpty(), "and alerts on the partner connector");
        try (Analysis analysis = new Analysis()) {
            analysis.replay("run-a", run, 0, run.size());
            final Map<String, List<String>> first = analysis.outputs();
            analysis.replay("run-a", run, 0, run.size());
            final Map<String, List<String>> second = analysis.outputs();
            assertEquals(expected, first);
            second.forEach((topic, records) -> assertEquals(List.of(), records, topic + " after the same run again"));
        }
    }

    @Test
    void aRunResumedFromTheStartAfterFailingHalfWayIsAnalysedOnce() {
        final List<MessageTrace> run = run();
        final Map<String, List<String>> expected = once(run);
        try (Analysis analysis = new Analysis()) {
            analysis.replay("run-a", run, 0, run.size() / 2);
            final Map<String, List<String>> firstHalf = analysis.outputs();
            analysis.replay("run-a", run, 0, run.size());
            final Map<String, List<String>> rest = analysis.outputs();
            final Map<String, List<String>> together = new LinkedHashMap<>();
            firstHalf.forEach((topic, records) -> {
                final List<String> all = new ArrayList<>(records);
                all.addAll(rest.get(topic));
                together.put(topic, all);
            });
            assertEquals(expected, together);
        }
    }

    @Test
    void positionsLeftOutByAFailedRunAreAnalysedWhenItRunsAgainAndNothingElse() {
        final ReplayRepeats.Analysed analysed = ReplayRepeats.Analysed.parse(null);
        for (long p = 0; p < 10; p++) {
            analysed.add(p);
        }
        for (long p = 15; p < 20; p++) {
            analysed.add(p); // 10-14 were never acknowledged
        }
        assertEquals("0-10,15-20", analysed.toString());
        final ReplayRepeats.Analysed restored = ReplayRepeats.Analysed.parse(analysed.toString());
        final List<Long> passed = new ArrayList<>();
        for (long p = 0; p < 25; p++) {
            if (!restored.contains(p)) {
                passed.add(p);
                restored.add(p);
            }
        }
        assertEquals(List.of(10L, 11L, 12L, 13L, 14L, 20L, 21L, 22L, 23L, 24L), passed);
        assertEquals("0-25", restored.toString());
        final ReplayRepeats.Analysed backwards = ReplayRepeats.Analysed.parse("5-6");
        backwards.add(4);
        backwards.add(7);
        backwards.add(6);
        assertEquals("4-8", backwards.toString());
    }

    @Test
    @DisplayName("a task rolled back after an aborted transaction and initialized again analyses the aborted records again")
    void aRolledBackTaskAnalysesTheAbortedRecordsAgain() {
        final ReplayRepeats repeats = new ReplayRepeats();
        final List<MessageTrace> run = run();
        final List<Integer> forwarded = new ArrayList<>();
        // the store as the last commit left it: nothing of the run analysed yet
        repeats.init(context(new java.util.HashMap<>(), forwarded));
        for (int i = 0; i < 10; i++) {
            repeats.process(positioned(run.get(i), "run-r", i));
        }
        assertEquals(10, forwarded.size(), "the first attempt analyses all ten");
        // the transaction is aborted (a broker gone mid-commit): Kafka Streams restores the store to
        // the last commit and initializes this same processor again; the ten are read again
        forwarded.clear();
        repeats.init(context(new java.util.HashMap<>(), forwarded));
        for (int i = 0; i < 10; i++) {
            repeats.process(positioned(run.get(i), "run-r", i));
        }
        assertEquals(10, forwarded.size(), "none of the aborted attempt's records is a repeat");
        // and a true repeat of committed positions is still skipped
        forwarded.clear();
        for (int i = 0; i < 10; i++) {
            repeats.process(positioned(run.get(i), "run-r", i));
        }
        assertEquals(0, forwarded.size(), "positions analysed in this attempt are repeats");
    }

    private static org.apache.kafka.streams.processor.api.FixedKeyRecord<String, MessageTrace> positioned(final MessageTrace t,
                                                                                                     final String runId, final int position) {
        final RecordHeaders headers = new RecordHeaders();
        headers.add(ReplayRun.HEADER, ReplayRun.header(runId, position));
        return org.apache.kafka.streams.processor.api.InternalFixedKeyRecordFactory.create(
            new org.apache.kafka.streams.processor.api.Record<>(MessageKeys.of(t), t, t.getEventTime().toEpochMilli(), headers));
    }

    /** A processor context over {@code store} (the replay positions) that notes each forwarded record's position. */
    @SuppressWarnings("unchecked")
    private static org.apache.kafka.streams.processor.api.FixedKeyProcessorContext<String, MessageTrace> context(
        final Map<String, String> store, final List<Integer> forwarded) {
        final org.apache.kafka.streams.state.KeyValueStore<String, String> kv = (org.apache.kafka.streams.state.KeyValueStore<String, String>)
            java.lang.reflect.Proxy.newProxyInstance(ReplayRepeatsTest.class.getClassLoader(),
                new Class<?>[] {org.apache.kafka.streams.state.KeyValueStore.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "get" -> store.get((String) args[0]);
                    case "put" -> store.put((String) args[0], (String) args[1]);
                    case "name" -> ReplayRepeats.STORE;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (org.apache.kafka.streams.processor.api.FixedKeyProcessorContext<String, MessageTrace>) java.lang.reflect.Proxy.newProxyInstance(
            ReplayRepeatsTest.class.getClassLoader(), new Class<?>[] {org.apache.kafka.streams.processor.api.FixedKeyProcessorContext.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "getStateStore" -> kv;
                case "taskId" -> new org.apache.kafka.streams.processor.TaskId(0, 0);
                case "forward" -> {
                    final org.apache.kafka.streams.processor.api.FixedKeyRecord<?, ?> r =
                        (org.apache.kafka.streams.processor.api.FixedKeyRecord<?, ?>) args[0];
                    forwarded.add((int) ReplayRun.Position.parse(r.headers().lastHeader(ReplayRun.HEADER).value()).position());
                    yield null;
                }
                default -> throw new UnsupportedOperationException(method.getName());
            });
    }
}
