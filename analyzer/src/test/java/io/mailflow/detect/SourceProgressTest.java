package io.mailflow.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A traces partition's progress: heartbeats on a grid, idle only when caught up and quiet")
class SourceProgressTest {
    private static final long GRID = 10_000;
    private static final long IDLE = 60_000;

    @Test
    @DisplayName("heartbeats carry grid points, once each: partitions at the same event time report the same value")
    void heartbeatsOnAGrid() {
        final SourceProgress p = new SourceProgress(GRID, IDLE, 0);
        assertEquals(120_000, p.afterRecord(123_456, 1));
        assertEquals(SourceProgress.NONE, p.afterRecord(125_000, 2), "same grid point: nothing new to say");
        assertEquals(130_000, p.afterRecord(130_000, 3));
        assertEquals(SourceProgress.NONE, p.afterRecord(129_000, 4), "a late record does not move progress back");
        final SourceProgress other = new SourceProgress(GRID, IDLE, 0);
        other.afterRecord(121_000, 1);
        assertEquals(130_000, other.afterRecord(139_999, 2), "another partition reaching the same time reports the same point");
    }

    @Test
    @DisplayName("a partition is idle only when its consumer is caught up and no record came for partition-idle")
    void idleOnlyWhenCaughtUpAndQuiet() {
        final SourceProgress p = new SourceProgress(GRID, IDLE, 0);
        p.afterRecord(50_000, 1_000);
        assertFalse(p.idleNow(30_000, OptionalLong.of(0)), "quiet for 29 s only");
        assertFalse(p.idleNow(120_000, OptionalLong.of(17)), "behind: 17 records not fetched yet");
        assertFalse(p.idleNow(120_000, OptionalLong.empty()), "lag unknown: not idle");
        assertTrue(p.idleNow(120_000, OptionalLong.of(0)));
        assertEquals(50_000, p.idleTime());
        assertFalse(p.idleNow(180_000, OptionalLong.of(0)), "said once per idle spell");
        assertEquals(50_000, p.afterRecord(51_000, 200_000), "the next record says at once that it holds the watermark again");
    }

    @Test
    @DisplayName("not idle at the first check after a record, however long ago its batch began: records fetched after it may still wait in the buffer")
    void aSlowRecordIsNotQuiet() {
        final SourceProgress p = new SourceProgress(GRID, IDLE, 0);
        p.afterRecord(50_000, 1_000); // its batch began at 1 s; the record took 90 s (a stalled thread)
        assertFalse(p.idleNow(91_000, OptionalLong.of(0)), "a record since the last check: not quiet, whatever the clocks say");
        assertTrue(p.idleNow(121_000, OptionalLong.of(0)), "quiet since the previous check, caught up, and 120 s since the record");
    }

    @Test
    @DisplayName("a partition that never had a record reports idle at time 0")
    void emptyPartition() {
        final SourceProgress p = new SourceProgress(GRID, IDLE, 0);
        assertTrue(p.idleNow(IDLE, OptionalLong.of(0)));
        assertEquals(0, p.idleTime());
    }

    @Test
    @DisplayName("reading history (event time a minute or more behind the wall clock), at most one heartbeat per 100 ms; the held one goes out from the wall-clock check")
    void historyHeartbeatsAreThinned() {
        final long now = 1_000_000_000_000L; // wall clock; the records are from long ago
        final SourceProgress p = new SourceProgress(GRID, IDLE, now);
        final java.util.function.Supplier<OptionalLong> behind = () -> OptionalLong.of(5_000);
        assertEquals(10_000, p.afterRecord(10_000, now, behind));
        assertEquals(SourceProgress.NONE, p.afterRecord(20_000, now + 10, behind), "held: 10 ms after the last heartbeat");
        assertEquals(SourceProgress.NONE, p.afterRecord(30_000, now + 20, behind));
        assertEquals(SourceProgress.NONE, p.heldNow(now + 50), "not yet 100 ms");
        assertEquals(30_000, p.heldNow(now + 100), "the latest grid point, once the interval has passed");
        assertEquals(SourceProgress.NONE, p.heldNow(now + 300), "nothing held any more");
        assertEquals(40_000, p.afterRecord(40_000, now + 400, behind), "a grid point 100 ms or more after the last heartbeat goes out at once");
    }

    @Test
    @DisplayName("reading history, a held heartbeat goes out with the next record once the consumer has caught up: the input's end is never held")
    void caughtUpHistoryIsNotHeld() {
        final long now = 1_000_000_000_000L;
        final SourceProgress p = new SourceProgress(GRID, IDLE, now);
        assertEquals(10_000, p.afterRecord(10_000, now, () -> OptionalLong.of(5)));
        assertEquals(SourceProgress.NONE, p.afterRecord(20_000, now + 10, () -> OptionalLong.of(5)), "held: more to come");
        assertEquals(20_000, p.afterRecord(21_000, now + 20, () -> OptionalLong.of(0)), "the last records: sent at once");
        assertEquals(30_000, p.afterRecord(30_000, now + 30, OptionalLong::empty), "lag unknown: never held");
    }

    @Test
    @DisplayName("live traffic (event time close to the wall clock) gets every grid point at once")
    void liveHeartbeatsAreNotThinned() {
        final long now = 1_000_000_000_000L;
        final SourceProgress p = new SourceProgress(GRID, IDLE, now);
        assertEquals(now - 30_000, p.afterRecord(now - 25_000, now, () -> OptionalLong.of(5_000)));
        assertEquals(now - 20_000, p.afterRecord(now - 15_000, now + 1, () -> OptionalLong.of(5_000)), "behind, but live: sent at once");
        assertEquals(SourceProgress.NONE, p.heldNow(now + 200));
    }
}
