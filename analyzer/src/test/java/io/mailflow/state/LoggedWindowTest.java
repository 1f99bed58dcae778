package io.mailflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A logged window answers the same whether its entries are held on the heap or in the window store")
class LoggedWindowTest {
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final long MINUTE = 60_000L;
    private static final int KEYS = 150;

    private final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();

    /** A window as the queue tracker has one: its batch log, its window store, and its heap budget. */
    private final class Window {
        final BatchChangelog<String, String> log;
        final WindowStore<Bytes, byte[]> store;
        final HeapBudget budget;
        LoggedWindow<String, String> logged;

        Window(final String name, final long heapBytes) {
            log = (BatchChangelog<String, String>) BatchChangelog.store(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name + "-log"), Serdes.Bytes(), Serdes.ByteArray())
                    .withLoggingDisabled(), name, Serdes.String(), Serdes.String(), RETENTION).build();
            log.init(context.getStateStoreContext(), log);
            store = Stores.windowStoreBuilder(Stores.inMemoryWindowStore(name, RETENTION, Duration.ofMillis(1), false),
                Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
            store.init(context.getStateStoreContext(), store);
            budget = new HeapBudget(heapBytes);
            logged = BatchChangelog.logging(log, store, budget);
        }

        /** The task starts again from its last commit, its window store (local state) kept. */
        void restart() {
            logged.release();
            log.init(context.getStateStoreContext(), log);
            logged = BatchChangelog.logging(log, store, budget);
        }

        List<KeyValue<Long, String>> entries(final String key) {
            final List<KeyValue<Long, String>> found = new ArrayList<>();
            try (WindowStoreIterator<String> it = logged.fetch(key, 0L, Long.MAX_VALUE)) {
                it.forEachRemaining(found::add);
            }
            return found;
        }
    }

    @Test
    void answersDoNotDependOnWhereEntriesAreHeld() {
        // the window store only (mailflow before the heap), a heap that fills up and empties again, and a heap without bound
        final Window inStore = new Window("in-store", 0);
        final Window spilling = new Window("spilling", 30_000);
        final Window inHeap = new Window("in-heap", Long.MAX_VALUE);
        final List<Window> windows = List.of(inStore, spilling, inHeap);

        final Random random = new Random(14);
        long now = 1_700_000_000_000L;
        int storeChecks = 0;
        int opsSpilling = 0;
        int opsHeapOnly = 0;
        for (int op = 0; op < 20_000; op++) {
            // busy hours (more entries than the small heap holds) and quiet ones (it holds them all)
            final boolean busy = op % 4_000 < 3_000;
            now += random.nextInt(busy ? 4_000 : 120_000);
            // mostly current, some late within the retention, some too late to count
            final long exact = switch (random.nextInt(10)) {
                case 0 -> now - random.nextInt(50) * MINUTE;
                case 1 -> now - 70 * MINUTE;
                default -> now - random.nextInt(3) * 1_000L;
            };
            // whole half-minutes and few keys: a key comes again at a time it has (a replace or a delete)
            final long time = exact - Math.floorMod(exact, 30_000L);
            final String key = "<m" + random.nextInt(KEYS) + "@example.com>";
            final String value = random.nextInt(40) == 0 ? null : "v" + op;
            if (random.nextBoolean() && value != null) {
                final List<Boolean> put = new ArrayList<>();
                for (final Window w : windows) {
                    put.add(w.logged.putIfAbsent(key, time, () -> value));
                }
                assertEquals(put.get(0), put.get(1), "putIfAbsent of " + key + " at " + time + ", op " + op);
                assertEquals(put.get(0), put.get(2), "putIfAbsent of " + key + " at " + time + ", op " + op);
            } else {
                for (final Window w : windows) {
                    w.logged.put(key, value, time);
                }
            }
            if (spilling.logged.storeMayCount()) {
                opsSpilling++;
            } else if (spilling.logged.heapEntries() > 0) {
                opsHeapOnly++;
            }
            final List<KeyValue<Long, String>> expected = inStore.entries(key);
            assertEquals(expected, spilling.entries(key), "entries of " + key + " after op " + op);
            assertEquals(expected, inHeap.entries(key), "entries of " + key + " after op " + op);
            if (op % 500 == 499) {
                for (final Window w : windows) {
                    w.log.flushCache(); // a commit
                }
            }
            if (op % 5_000 == 4_999) {
                windows.forEach(Window::restart);
                for (int k = 0; k < KEYS; k++) {
                    final String other = "<m" + k + "@example.com>";
                    assertEquals(inStore.entries(other), spilling.entries(other), other + " after a restart");
                    assertEquals(inStore.entries(other), inHeap.entries(other), other + " after a restart");
                    storeChecks++;
                }
            }
        }
        assertEquals(4 * KEYS, storeChecks);
        assertTrue(opsSpilling > 1_000 && opsHeapOnly > 1_000,
            "both ways were asked: " + opsSpilling + " operations with the small heap full, " + opsHeapOnly + " with all on the heap");
        assertTrue(spilling.budget.peakBytes() <= spilling.budget.maxBytes(), "within its budget");
    }

    @Test
    void aDeletedEntryIsGoneAndTheKeysBesideItAreStillFound() {
        final Window w = new Window("deletes", Long.MAX_VALUE);
        final long start = 1_700_000_000_000L;
        for (int i = 0; i < 500; i++) {
            w.logged.put("<m" + i + "@example.com>", "v" + i, start + i);
        }
        final long held = w.budget.usedBytes();
        for (int i = 0; i < 500; i += 2) {
            w.logged.put("<m" + i + "@example.com>", null, start + i); // each key's only entry
        }
        for (int i = 0; i < 500; i++) {
            assertEquals(i % 2 == 0 ? List.of() : List.of(KeyValue.pair(start + i, "v" + i)), w.entries("<m" + i + "@example.com>"),
                "key " + i + " after every other key's entry was deleted");
        }
        assertEquals(250, w.logged.heapEntries());
        assertTrue(w.budget.usedBytes() < held, "the deleted entries gave their bytes back");
    }

    @Test
    void theHeapStaysWithinItsBudgetAndGivesItBack() {
        final Window w = new Window("bounded", 20_000);
        for (int i = 0; i < 1_000; i++) {
            w.logged.put("<m" + i + "@example.com>", "sender" + i + "@example.com|subject " + i, 1_700_000_000_000L + i);
        }
        final int held = w.logged.heapEntries();
        assertTrue(held > 0 && held < 1_000, held + " entries on the heap, the rest in the store");
        assertTrue(w.budget.usedBytes() <= 20_000, w.budget.usedBytes() + " bytes");
        assertEquals(List.of(KeyValue.pair(1_700_000_000_999L, "sender999@example.com|subject 999")), w.entries("<m999@example.com>"),
            "an entry the heap had no room for is read from the store");

        w.logged.release();
        assertEquals(0, w.budget.usedBytes(), "a closed task gives its heap back");
    }

    @Test
    void entriesPastTheRetentionGiveTheirBytesBack() {
        final Window w = new Window("expiring", Long.MAX_VALUE);
        final long start = 1_700_000_000_000L;
        for (int minute = 0; minute < 180; minute++) {
            w.logged.put("<m" + minute + "@example.com>", "x", start + minute * MINUTE);
        }
        // an hour's retention: at minute 179 only minutes 120-179 count
        assertTrue(w.logged.heapEntries() <= 62, w.logged.heapEntries() + " entries held");
        assertEquals(List.of(), w.entries("<m100@example.com>"));
        assertEquals(1, w.entries("<m150@example.com>").size());
        final long used = w.budget.usedBytes();
        w.logged.put("<late@example.com>", "x", start + 300 * MINUTE);
        assertTrue(w.budget.usedBytes() < used, "two hours on, the earlier entries are gone");
        assertEquals(1, w.logged.heapEntries());
    }

    @Test
    void aLateEntryInAnEarlierMinuteExpiresWithItsMinute() {
        final Window w = new Window("late", Long.MAX_VALUE);
        final long start = 1_700_000_000_000L;
        w.logged.put("<a@example.com>", "x", start + 100 * MINUTE);
        w.logged.put("<late@example.com>", "x", start + 50 * MINUTE); // within the hour's retention: held
        assertEquals(2, w.logged.heapEntries());
        w.logged.put("<b@example.com>", "x", start + 115 * MINUTE); // only minutes after 55 count now
        assertEquals(List.of(), w.entries("<late@example.com>"));
        assertEquals(2, w.logged.heapEntries(), "the late entry's minute, earlier than every other, was dropped");
    }
}
