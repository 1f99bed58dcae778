package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.mailflow.state.Utf8Order;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A commit-buffered store writes to the store below once per commit and reads its own writes")
class CommitBufferedStoreTest {
    private final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    private CommitBufferedStore<String, Long> store;
    private KeyValueStore<String, Long> below;

    @BeforeEach
    void open() {
        // the changelog layer needs a real task; the layer's contract is the same on the plain store
        store = (CommitBufferedStore<String, Long>) CommitBufferedStore.of(
            Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("counts"), Serdes.String(), Serdes.Long())
                .withLoggingDisabled()).build();
        store.init(context.getStateStoreContext(), store);
        below = store.wrapped();
    }

    @Test
    void aValueWrittenManyTimesReachesTheStoreBelowOnceAtTheCommit() {
        store.put("w1|internet", 1L);
        store.put("w1|internet", 2L);
        store.put("w1|internet", 3L);

        assertEquals(3L, store.get("w1|internet"), "the processor reads its own latest write");
        assertNull(below.get("w1|internet"), "nothing is serialized or logged before the commit");
        assertEquals(1, store.pendingWrites());

        store.flushCache(); // what Kafka Streams calls before it commits the task
        assertEquals(3L, below.get("w1|internet"));
        assertEquals(0, store.pendingWrites());
    }

    @Test
    void aDeleteWaitsForTheCommitToo() {
        store.put("w1|internet", 5L);
        store.flushCache();

        assertEquals(5L, store.delete("w1|internet"), "delete returns the value it removes");
        assertNull(store.get("w1|internet"));
        assertEquals(5L, below.get("w1|internet"), "still committed below until the commit");

        store.flushCache();
        assertNull(below.get("w1|internet"));
    }

    @Test
    void putOfNullDeletesAsInKafkaStreams() {
        store.put("w1|internet", 5L);
        store.flushCache();
        store.put("w1|internet", null);
        assertNull(store.get("w1|internet"));
        store.flushCache();
        assertNull(below.get("w1|internet"));
    }

    @Test
    void scansSeeEveryWriteSinceTheCommit() {
        store.put("a", 1L);
        store.put("c", 3L);
        store.flushCache();
        store.put("b", 2L);
        store.delete("c");
        store.put("d", 4L);

        assertEquals(List.of(KeyValue.pair("a", 1L), KeyValue.pair("b", 2L), KeyValue.pair("d", 4L)), drain(store.all()));
        assertEquals(List.of(KeyValue.pair("b", 2L)), drain(store.range("b", "c")));
        assertEquals(3, store.approximateNumEntries());
    }

    @Test
    void aTaskStartedAgainHasOnlyTheCommittedState() {
        store.put("w1|internet", 1L);
        store.flushCache();
        store.put("w1|internet", 2L); // processed, never committed: the task failed here

        // after a failure Kafka Streams closes the task without a commit and initializes its stores again
        store.clearCache();
        store.init(context.getStateStoreContext(), store);

        assertEquals(1L, store.get("w1|internet"), "the uncommitted write is gone; its input is processed again");
    }

    @Test
    void aFullLayerWritesBelowBeforeTheCommit() {
        for (int i = 0; i <= CommitBufferedStore.MAX_PENDING; i++) {
            store.put("recipient-" + i, (long) i);
        }
        assertEquals(0, store.pendingWrites(), "one key over the bound writes every pending key below");
        assertEquals(0L, below.get("recipient-0"));
        assertEquals((long) CommitBufferedStore.MAX_PENDING, below.get("recipient-" + CommitBufferedStore.MAX_PENDING));

        store.put("recipient-0", 7L); // and it buffers again
        assertEquals(1, store.pendingWrites());
        assertEquals(0L, below.get("recipient-0"));
        assertEquals(7L, store.get("recipient-0"));
    }

    @Test
    void aWriteThatFailsAtTheCommitKeepsEveryValuePending() {
        // values serialized by a registry-backed serde: the registry goes away just as the task commits
        final boolean[] registryDown = {false};
        final org.apache.kafka.common.serialization.Serde<Long> values = Serdes.serdeFrom((topic, v) -> {
            if (registryDown[0]) {
                throw new org.apache.kafka.common.errors.SerializationException("Cannot get a schema id: registry unreachable");
            }
            return Serdes.Long().serializer().serialize(topic, v);
        }, Serdes.Long().deserializer());
        final CommitBufferedStore<String, Long> layer = (CommitBufferedStore<String, Long>) CommitBufferedStore.of(
            Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("queue"), Serdes.String(), values).withLoggingDisabled()).build();
        layer.init(context.getStateStoreContext(), layer);
        layer.put("a", 1L);
        layer.put("b", 2L);
        layer.delete("c");

        registryDown[0] = true;
        org.junit.jupiter.api.Assertions.assertThrows(org.apache.kafka.common.errors.SerializationException.class, layer::flushCache);
        assertEquals(3, layer.pendingWrites(), "nothing pending is dropped by a failed write");
        assertEquals(2L, layer.get("b"));

        registryDown[0] = false;
        layer.flushCache();
        assertEquals(0, layer.pendingWrites());
        assertEquals(1L, layer.wrapped().get("a"));
        assertEquals(2L, layer.wrapped().get("b"));
    }

    @Test
    void putIfAbsentSeesPendingWrites() {
        store.put("k", 1L);
        assertEquals(1L, store.putIfAbsent("k", 2L));
        assertNull(store.putIfAbsent("j", 7L));
        assertEquals(7L, store.get("j"));
    }

    /**
     * The layer depends on Kafka Streams flushing store caches before every commit (an internal
     * hook). Run by a real task (TopologyTestDriver commits after every input record): a key
     * written three times per record reaches the changelog once per commit, with its last value.
     * If a Kafka upgrade stops calling the hook, this fails: nothing reaches the changelog.
     */
    @Test
    void kafkaStreamsWritesTheLastValueToTheChangelogOncePerCommit() {
        final Topology topology = new Topology();
        topology.addSource("in", new StringDeserializer(), new StringDeserializer(), "in");
        topology.addProcessor("count-thrice", () -> new Processor<String, String, Void, Void>() {
            private KeyValueStore<String, Long> counts;

            @Override
            public void init(final ProcessorContext<Void, Void> context) {
                counts = context.getStateStore("counts");
            }

            @Override
            public void process(final Record<String, String> record) {
                for (int i = 0; i < 3; i++) {
                    final Long n = counts.get(record.key());
                    counts.put(record.key(), n == null ? 1L : n + 1);
                }
            }
        }, "in");
        topology.addStateStore(CommitBufferedStore.of(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("counts"),
            Serdes.String(), Serdes.Long())), "count-thrice");
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "commit-buffered");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props)) {
            final TestInputTopic<String, String> in = driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            final TestOutputTopic<String, Long> changelog = driver.createOutputTopic("commit-buffered-counts-changelog",
                new StringDeserializer(), new LongDeserializer());
            in.pipeInput("internet", "trace 1");
            in.pipeInput("internet", "trace 2");
            in.pipeInput("partner", "trace 3");

            assertEquals(List.of(KeyValue.pair("internet", 3L), KeyValue.pair("internet", 6L), KeyValue.pair("partner", 3L)),
                changelog.readKeyValuesToList());
            final KeyValueStore<String, Long> store = driver.getKeyValueStore("counts");
            assertEquals(6L, store.get("internet"));
        }
    }

    /**
     * The ordered layer against a model: random puts (some after a get that found the key free, as
     * the connector monitor picks keys), deletes, range scans with open and closed ends, and commits,
     * over keys whose UTF-8 order differs from String order. Every scan must return what the model
     * holds, in the store's own order, and after every commit the store below must equal the model.
     */
    @Test
    void anOrderedLayerScansLikeTheStoreItBuffers() {
        final CommitBufferedStore<String, Long> layer = orderedLayer("pending");
        final KeyValueStore<String, Long> committed = layer.wrapped();
        final java.util.TreeMap<String, Long> model = new java.util.TreeMap<>(Utf8Order.ORDER);
        final java.util.Random random = new java.util.Random(20261203);
        // ASCII, a control character, a BMP character above the surrogates and a supplementary one:
        // String.compareTo puts "\uFFFD" after "\uD83D\uDCE7", UTF-8 bytes the other way round
        final String[] parts = {"0|", "1|", "a", "b", "\u0000", "\uFFFD", "\uD83D\uDCE7", "z"};
        for (int step = 0; step < 20_000; step++) {
            final String key = parts[random.nextInt(parts.length)] + parts[random.nextInt(parts.length)];
            final int op = random.nextInt(10);
            if (op < 4) {
                if (layer.get(key) == null) { // free: the put that follows needs no delete later
                    layer.put(key, (long) step);
                    model.put(key, (long) step);
                }
            } else if (op < 6) {
                layer.put(key, (long) step);
                model.put(key, (long) step);
            } else if (op < 7) {
                assertEquals(model.remove(key), layer.delete(key), "delete returns the value at step " + step);
            } else if (op < 8) {
                layer.put(key, null); // a delete that reads nothing
                model.remove(key);
            } else if (op < 9) {
                final String from = random.nextInt(4) == 0 ? null : parts[random.nextInt(parts.length)];
                final String to = random.nextInt(4) == 0 ? null : parts[random.nextInt(parts.length)] + "\uFFFF";
                final java.util.SortedMap<String, Long> expected = from == null && to == null ? model
                    : from == null ? model.headMap(to + "\u0000") : to == null ? model.tailMap(from)
                    : Utf8Order.ORDER.compare(from, to) > 0 ? new java.util.TreeMap<>()
                    : model.subMap(from, to + "\u0000");
                assertEquals(expected.entrySet().stream().map(e -> KeyValue.pair(e.getKey(), e.getValue())).toList(),
                    drain(layer.range(from, to)), "range " + from + ".." + to + " at step " + step);
            } else {
                layer.flushCache();
                assertEquals(model.entrySet().stream().map(e -> KeyValue.pair(e.getKey(), e.getValue())).toList(),
                    drain(committed.all()), "the committed store at step " + step);
            }
        }
    }

    @Test
    void anItemQueuedAndTakenBetweenTwoCommitsNeverReachesTheChangelog() {
        final Topology topology = new Topology();
        topology.addSource("in", new StringDeserializer(), new StringDeserializer(), "in");
        // the connector monitor's pattern: pick a free key, queue the item, take every due item in key order
        topology.addProcessor("wait-for-turn", () -> new Processor<String, String, Void, Void>() {
            private KeyValueStore<String, Long> waiting;

            @Override
            public void init(final ProcessorContext<Void, Void> context) {
                waiting = context.getStateStore("waiting");
            }

            @Override
            public void process(final Record<String, String> record) {
                // a record is what arrives between two commits (the test driver commits after each):
                // items to queue, then the time up to which items are due
                final String[] itemsAndDue = record.value().split(";");
                for (final String item : itemsAndDue[0].split(",")) {
                    if (!item.isEmpty() && waiting.get(item) == null) {
                        waiting.put(item, record.timestamp());
                    }
                }
                final List<String> due = new ArrayList<>();
                try (KeyValueIterator<String, Long> it = waiting.range(null, itemsAndDue[1])) {
                    it.forEachRemaining(kv -> due.add(kv.key));
                }
                due.forEach(waiting::delete);
            }
        }, "in");
        topology.addStateStore(CommitBufferedStore.ordered(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("waiting"),
            Serdes.String(), Serdes.Long()), Utf8Order.ORDER), "wait-for-turn");
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "commit-buffered");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props)) {
            final TestInputTopic<String, String> in = driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            final TestOutputTopic<String, Long> changelog = driver.createOutputTopic("commit-buffered-waiting-changelog",
                new StringDeserializer(), new LongDeserializer());
            in.pipeInput("", "t1|a,t1|b,t3|c;t2"); // t1|a and t1|b are due before the commit, t3|c waits
            in.pipeInput("", ";t4"); // t3|c is due now

            final List<KeyValue<String, Long>> logged = changelog.readKeyValuesToList();
            assertEquals(List.of("t3|c", "t3|c"), logged.stream().map(kv -> kv.key).toList(),
                "only the item that waited across a commit is logged (written, then deleted): " + logged);
            assertNull(logged.get(1).value, "its delete is a tombstone");
            assertNull(driver.getKeyValueStore("waiting").get("t3|c"));
        }
    }

    private static CommitBufferedStore<String, Long> orderedLayer(final String name) {
        final CommitBufferedStore<String, Long> layer = (CommitBufferedStore<String, Long>) CommitBufferedStore.ordered(
            Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.Long()).withLoggingDisabled(),
            Utf8Order.ORDER).build();
        layer.init(new MockProcessorContext<>().getStateStoreContext(), layer);
        return layer;
    }

    private static <K, V> List<KeyValue<K, V>> drain(final KeyValueIterator<K, V> it) {
        final List<KeyValue<K, V>> out = new ArrayList<>();
        try (it) {
            it.forEachRemaining(out::add);
        }
        return out;
    }
}
