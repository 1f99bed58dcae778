package io.mailflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Pending items: taken in key order, logged once per commit, and a restart brings back exactly the items not taken")
class PendingItemsTest {
    private final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    private BatchChangelog<String, String> log;

    @BeforeEach
    void open() {
        log = (BatchChangelog<String, String>) BatchChangelog.untilReleased(
            Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("pending-log"), Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled(),
            "pending", Serdes.String(), Serdes.String()).build();
        log.init(context.getStateStoreContext(), log);
    }

    /** The task starting again from its last commit (here or on another instance: the same records below). */
    private PendingItems<String, String> restart() {
        log.init(context.getStateStoreContext(), log);
        return BatchChangelog.pending(log, Utf8Order.ORDER);
    }

    private int recordsBelow() {
        int n = 0;
        try (KeyValueIterator<Bytes, byte[]> it = log.wrapped().all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    private static List<String> keys(final List<Map.Entry<String, String>> entries) {
        return entries.stream().map(Map.Entry::getKey).toList();
    }

    @Test
    void itemsTakenBeforeTheCommittedBoundDoNotComeBack() {
        final PendingItems<String, String> pending = BatchChangelog.pending(log, Utf8Order.ORDER);
        pending.putIfAbsent("3000|c", "third", 3_000L);
        pending.putIfAbsent("1000|a", "first", 1_000L);
        pending.putIfAbsent("2000|b", "second", 2_000L);
        assertEquals(List.of("1000|a"), keys(pending.takeBelow("2000|")), "in key order, up to the bound");
        pending.takenBefore(2_000L);
        log.flushCache(); // the commit
        assertEquals(2, recordsBelow(), "one batch for the three puts, and the bound; nothing per take");

        final PendingItems<String, String> restarted = restart();
        assertEquals(2_000L, restarted.takenBefore(), "the timeline goes on from the committed bound");
        assertEquals(2, restarted.size());
        assertFalse(restarted.contains("1000|a"), "taken before the commit: not judged twice");
        assertEquals(List.of("2000|b", "3000|c"), keys(restarted.takeBelow("9999|")));
    }

    @Test
    void aBatchGoesOnceEveryItemInItWasTaken() {
        final PendingItems<String, String> pending = BatchChangelog.pending(log, Utf8Order.ORDER);
        pending.putIfAbsent("1000|a", "first", 1_000L);
        log.flushCache();
        pending.putIfAbsent("2000|b", "second", 2_000L);
        log.flushCache();
        assertEquals(2, log.batches());

        pending.takeBelow("2000|");
        pending.takenBefore(2_000L);
        log.flushCache();
        assertEquals(1, log.batches(), "the first batch held only taken items");
        assertEquals(2, recordsBelow(), "the second batch and the bound");
    }

    @Test
    void whatWasNotCommittedIsForgotten() {
        final PendingItems<String, String> pending = BatchChangelog.pending(log, Utf8Order.ORDER);
        pending.putIfAbsent("1000|a", "first", 1_000L);
        pending.takenBefore(500L);
        log.flushCache();
        pending.putIfAbsent("2000|b", "not committed", 2_000L);
        pending.takeBelow("1500|");
        pending.takenBefore(1_500L);

        final PendingItems<String, String> restarted = restart();
        assertEquals(500L, restarted.takenBefore(), "the bound as committed");
        assertTrue(restarted.contains("1000|a"), "taken after the commit: it comes back");
        assertFalse(restarted.contains("2000|b"), "put after the commit: never logged");
        restarted.takenBefore(100L);
        assertEquals(500L, restarted.takenBefore(), "the bound never moves back");
    }

    @Test
    void anItemHeldUnderAKeyIsNeitherReplacedNorLoggedAgain() {
        final PendingItems<String, String> pending = BatchChangelog.pending(log, Utf8Order.ORDER);
        assertTrue(pending.putIfAbsent("1000|a", "first", 1_000L));
        assertFalse(pending.putIfAbsent("1000|a", "second", 1_000L), "the key is held");
        log.flushCache();

        final PendingItems<String, String> restarted = restart();
        assertEquals(List.of(Map.entry("1000|a", "first")), restarted.takeBelow("9999|"), "the first item only, logged once");
    }
}
