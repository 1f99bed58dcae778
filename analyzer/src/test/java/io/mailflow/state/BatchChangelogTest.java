package io.mailflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A window batch log holds a window store's entries as one record per commit and fills a new window store from them")
class BatchChangelogTest {
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final long HOUR = RETENTION.toMillis();
    /** No heap for the windows: every entry goes to the window store, where these tests look. */
    private static final HeapBudget IN_THE_STORE = new HeapBudget(0);

    private final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    private BatchChangelog<String, String> log;
    private KeyValueStore<Bytes, byte[]> below;

    @BeforeEach
    void open() {
        // the changelog layer below needs a real task; the batches it would log are what the store below holds
        log = (BatchChangelog<String, String>) BatchChangelog.store(
            Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("arrivals-log"), Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled(),
            "arrivals", Serdes.String(), Serdes.String(), RETENTION).build();
        log.init(context.getStateStoreContext(), log);
        below = log.wrapped();
    }

    /** A window store as the processors have it: of the bytes the log's serdes write. */
    private WindowStore<Bytes, byte[]> newWindowStore() {
        final WindowStore<Bytes, byte[]> window = Stores.windowStoreBuilder(
            Stores.inMemoryWindowStore("arrivals", RETENTION, Duration.ofMillis(1), false), Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingDisabled().build();
        window.init(context.getStateStoreContext(), window);
        return window;
    }

    private static Bytes key(final String key) {
        return Bytes.wrap(key.getBytes(StandardCharsets.UTF_8));
    }

    private static String fetch(final WindowStore<Bytes, byte[]> window, final String key, final long time) {
        final byte[] value = window.fetch(key(key), time);
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    private static List<KeyValue<Long, String>> entries(final WindowStore<Bytes, byte[]> window, final String key) {
        final List<KeyValue<Long, String>> found = new ArrayList<>();
        try (WindowStoreIterator<byte[]> it = window.fetch(key(key), 0L, Long.MAX_VALUE)) {
            it.forEachRemaining(kv -> found.add(KeyValue.pair(kv.key, new String(kv.value, StandardCharsets.UTF_8))));
        }
        return found;
    }

    private int recordsBelow() {
        int n = 0;
        try (KeyValueIterator<Bytes, byte[]> it = below.all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    @Test
    void theEntriesOfOneCommitBecomeOneRecordThatFillsANewWindowStore() {
        final LoggedWindow<String, String> window = BatchChangelog.logging(log, newWindowStore(), IN_THE_STORE);
        window.put("m1", "alice", 1_000L);
        window.put("m2", "bob", 2_000L);
        window.put("m1", "alice, carol", 1_000L); // the same key and time again: the later value wins
        window.put("m1", "dave", 3_000L);

        assertFalse(window.putIfAbsent("m1", 1_000L, () -> fail("m1 at 1,000 is there")), "the processor reads its writes at once");
        assertEquals(0, recordsBelow(), "nothing is logged before the commit");

        log.flushCache(); // what Kafka Streams calls before it commits the task
        assertEquals(1, recordsBelow(), "four entries, one changelog record");

        // a task started where its window store is empty (another instance, or wiped after a crash)
        final WindowStore<Bytes, byte[]> restored = newWindowStore();
        BatchChangelog.logging(log, restored, IN_THE_STORE);
        assertEquals(List.of(KeyValue.pair(1_000L, "alice, carol"), KeyValue.pair(3_000L, "dave")), entries(restored, "m1"));
        assertEquals(List.of(KeyValue.pair(2_000L, "bob")), entries(restored, "m2"));
    }

    @Test
    void putIfAbsentWritesAndLogsAKeyAtATimeOnce() {
        final LoggedWindow<String, String> window = BatchChangelog.logging(log, newWindowStore(), IN_THE_STORE);
        assertTrue(window.putIfAbsent("m1", 1_000L, () -> "first"));
        assertFalse(window.putIfAbsent("m1", 1_000L, () -> "second"), "m1 at 1,000 is taken");
        assertTrue(window.putIfAbsent("m1", 2_000L, () -> "later"), "another time is another entry");
        log.flushCache();

        final WindowStore<Bytes, byte[]> restored = newWindowStore();
        BatchChangelog.logging(log, restored, IN_THE_STORE);
        assertEquals(List.of(KeyValue.pair(1_000L, "first"), KeyValue.pair(2_000L, "later")), entries(restored, "m1"));
    }

    @Test
    void laterCommitsReplayInWriteOrder() {
        final LoggedWindow<String, String> window = BatchChangelog.logging(log, newWindowStore(), IN_THE_STORE);
        window.put("m1", "internet|4.4.316", 5_000L);
        log.flushCache();
        window.put("m1", "internet|4.4.316\npartner|250", 5_000L);
        log.flushCache();
        assertEquals(2, recordsBelow());

        final WindowStore<Bytes, byte[]> restored = newWindowStore();
        BatchChangelog.logging(log, restored, IN_THE_STORE);
        assertEquals("internet|4.4.316\npartner|250", fetch(restored, "m1", 5_000L), "the second commit's value, not the first");
    }

    @Test
    void entriesNotCommittedAreGoneWhenTheTaskStartsAgain() {
        final LoggedWindow<String, String> window = BatchChangelog.logging(log, newWindowStore(), IN_THE_STORE);
        window.put("m1", "committed", 1_000L);
        log.flushCache();
        window.put("m2", "not committed", 2_000L);

        log.init(context.getStateStoreContext(), log); // the task starts again from its last commit
        final WindowStore<Bytes, byte[]> restored = newWindowStore();
        BatchChangelog.logging(log, restored, IN_THE_STORE).put("m3", "after the restart", 3_000L);
        log.flushCache();

        final WindowStore<Bytes, byte[]> again = newWindowStore();
        BatchChangelog.logging(log, again, IN_THE_STORE);
        assertEquals("committed", fetch(again, "m1", 1_000L));
        assertNull(fetch(again, "m2", 2_000L), "never committed, never logged");
        assertEquals("after the restart", fetch(again, "m3", 3_000L));
        assertEquals(2, recordsBelow(), "the sequence goes on after the restart: no batch overwritten");
    }

    @Test
    void aBatchGoesOnceAllItsEntriesArePastTheRetention() {
        final LoggedWindow<String, String> window = BatchChangelog.logging(log, newWindowStore(), IN_THE_STORE);
        window.put("old", "x", 0L);
        log.flushCache();
        window.put("mixed-old", "x", 10L);
        window.put("mixed-new", "y", HOUR - 100L);
        log.flushCache();
        assertEquals(2, log.batches(), "at " + (HOUR - 100L) + " every batch has an entry within the hour");

        window.put("late", "z", HOUR + 5L); // time passes the first batch's retention, not the second's
        log.flushCache();
        assertEquals(2, log.batches(), "the first batch is deleted, the second and the new one stay");
        assertEquals(2, recordsBelow());

        final WindowStore<Bytes, byte[]> restored = newWindowStore();
        BatchChangelog.logging(log, restored, IN_THE_STORE);
        assertNull(fetch(restored, "old", 0L));
        assertEquals("y", fetch(restored, "mixed-new", HOUR - 100L));
        assertEquals("z", fetch(restored, "late", HOUR + 5L));
    }

    @Test
    void aLargeCommitIsSplitIntoRecordsTheBrokerAccepts() {
        final LoggedWindow<String, String> window = BatchChangelog.logging(log, newWindowStore(), IN_THE_STORE);
        final String value = "v".repeat(1_000);
        final int entries = 3 * BatchChangelog.MAX_BATCH_BYTES / value.length();
        for (int i = 0; i < entries; i++) {
            window.put("m" + i, value, i);
        }
        log.flushCache();
        assertTrue(recordsBelow() >= 3, "at least three records for three batches' worth of entries");
        try (KeyValueIterator<Bytes, byte[]> it = below.all()) {
            it.forEachRemaining(kv -> assertTrue(kv.value.length <= BatchChangelog.MAX_BATCH_BYTES, "a record of " + kv.value.length + " bytes"));
        }
        final WindowStore<Bytes, byte[]> restored = newWindowStore();
        BatchChangelog.logging(log, restored, IN_THE_STORE);
        for (int i = 0; i < entries; i++) {
            assertEquals(value, fetch(restored, "m" + i, i), "entry " + i);
        }
    }

    @Test
    void aHeapWindowAnswersLikeAWindowStoreAndComesBackFromItsLog() {
        final HeapWindow<String, String> window = BatchChangelog.inHeap(log, RETENTION);
        window.put("m1", "internet|250", 0L);
        window.put("m2", "internet|250", HOUR - 1L);
        window.put("m1", "internet|250\npartner|4.4.316", 0L);
        assertEquals("internet|250\npartner|4.4.316", window.fetch("m1", 0L), "a later write of a key at a time replaces it");
        assertNull(window.fetch("m1", 1L), "a point lookup: another time is another entry");
        log.flushCache();

        final HeapWindow<String, String> restored = BatchChangelog.inHeap(log, RETENTION);
        assertEquals("internet|250\npartner|4.4.316", restored.fetch("m1", 0L));
        assertEquals("internet|250", restored.fetch("m2", HOUR - 1L));

        restored.put("m3", "internet|250", HOUR); // the entries at 0 are a retention old now
        assertNull(restored.fetch("m1", 0L), "past the retention, as a Kafka window store answers");
        assertEquals("internet|250", restored.fetch("m2", HOUR - 1L));
        assertEquals(2, restored.size(), "the expired entries are gone from the heap");
        restored.put("m4", "internet|250", 0L);
        assertNull(restored.fetch("m4", 0L), "an entry too old when written is dropped");
    }
}
