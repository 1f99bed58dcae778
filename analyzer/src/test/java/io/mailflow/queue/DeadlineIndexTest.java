package io.mailflow.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The deadline index may let a record skip it only while nothing is due: every delay notice and
 * expiry fires at the first clock at or past its deadline, however far ahead it was set and
 * whatever was added or handled in between.
 */
class DeadlineIndexTest {
    private static final long MINUTE = 60_000;
    private static final long HOUR = 60 * MINUTE;

    @Test
    @DisplayName("a deadline is handed out at the first check at or past it, never skipped, never early (20,000 random steps)")
    void everyDeadlineComesDueAtTheFirstCheckPastIt() {
        final KeyValueStore<Bytes, byte[]> store = indexStore();
        final DeadlineIndex index = new DeadlineIndex(store);
        // what the index must hold: deadline, then recipient
        final TreeSet<DeadlineIndex.Due> expected = new TreeSet<>(
            (a, b) -> a.deadline() != b.deadline() ? Long.compare(a.deadline(), b.deadline()) : a.recipientKey().compareTo(b.recipientKey()));
        final Random random = new Random(14);
        long now = 1_700_000_000_000L;
        int handedOut = 0;
        for (int step = 0; step < 20_000; step++) {
            // the clock moves by anything from nothing to two minutes, past and short of the look-ahead
            now += random.nextInt(3) == 0 ? 0 : random.nextInt((int) (2 * MINUTE));
            if (random.nextInt(3) == 0) {
                // a queued recipient's next deadline: a backlog age, a delay notice, an expiry a day on
                final long ahead = 1 + switch (random.nextInt(4)) {
                    case 0 -> random.nextInt((int) MINUTE);
                    case 1 -> random.nextInt((int) HOUR);
                    case 2 -> 4 * HOUR;
                    default -> 24 * HOUR + random.nextInt((int) MINUTE);
                };
                final DeadlineIndex.Due entry = new DeadlineIndex.Due(now + ahead, "r" + step);
                index.add(entry.deadline(), entry.recipientKey());
                expected.add(entry);
            }
            if (!expected.isEmpty() && random.nextInt(20) == 0) {
                // a recipient delivered before its deadline leaves the index
                final DeadlineIndex.Due gone = expected.pollFirst();
                index.remove(gone.deadline(), gone.recipientKey());
            }
            final List<DeadlineIndex.Due> due = new ArrayList<>();
            for (final DeadlineIndex.Due e : expected) {
                if (e.deadline() > now) {
                    break;
                }
                due.add(e);
            }
            if (!index.mayBeDue(now)) {
                assertTrue(due.isEmpty(), "skipped at " + now + " although due: " + due);
                continue;
            }
            // as QueueTracker.checkDeadlinesUpTo does: take what is due, handle it, then look ahead
            final List<DeadlineIndex.Due> got = index.due(now, 1_000);
            assertEquals(due, got, "at " + now);
            for (final DeadlineIndex.Due d : got) {
                index.remove(d.deadline(), d.recipientKey());
                expected.remove(d);
            }
            handedOut += got.size();
            index.refreshEarliest(now);
        }
        assertTrue(handedOut > 1_000, "the walk reached many deadlines: " + handedOut);
    }

    @Test
    @DisplayName("after a quiet spell the index is skipped until the next deadline or a minute of clock, whichever comes first")
    void aQuietIndexIsSkippedWithoutAScan() {
        final DeadlineIndex index = new DeadlineIndex(indexStore());
        final long now = 1_700_000_000_000L;
        index.add(now + 24 * HOUR, "expires-tomorrow");
        index.refreshEarliest(now);
        assertFalse(index.mayBeDue(now + MINUTE - 1), "nothing can be due within the look-ahead");
        index.add(now + 30_000, "deferred-now");
        assertTrue(index.mayBeDue(now + 30_000), "an entry added below the bound lowers it");
        assertEquals(List.of(new DeadlineIndex.Due(now + 30_000, "deferred-now")), index.due(now + 30_000, 10));
    }

    /** The index's store, in memory and without the record cache: the bounds are what is tested here. */
    private static KeyValueStore<Bytes, byte[]> indexStore() {
        final MockProcessorContext<Object, Object> context = new MockProcessorContext<>(new Properties(), new TaskId(0, 0), null);
        final KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("queue-deadlines"),
            Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        return store;
    }
}
