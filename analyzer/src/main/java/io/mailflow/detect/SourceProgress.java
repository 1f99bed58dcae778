package io.mailflow.detect;

import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * What a traces task tells the connector-keyed stages about its partition's progress:
 * heartbeats on a fixed event-time grid (every heartbeat interval), and "idle" when the partition
 * is caught up with its end offset and has had no record for partition-idle of wall-clock time.
 *
 * <p>Grid points, not raw stream times: every partition that reaches the same event time
 * reports the same value, so the watermark downstream (the slowest partition) is a function of
 * the input, not of which record happened to be a partition's last. A heartbeat at g promises
 * that this partition has sent on everything with an event time before g.
 *
 * <p>History is not live: while a task reads records whose event time is more than
 * {@link #HISTORY_BEHIND_MS} behind the wall clock (a replay, a catch-up after downtime) and its
 * consumer has more of the partition still to fetch, it sends at most one heartbeat per
 * {@link #HISTORY_HEARTBEAT_MS} of wall-clock time, the latest grid point; a held one goes out
 * from the wall-clock check ({@link #heldNow}) or with the next record once the consumer has
 * caught up, so the input's last grid point always leaves with the record that reached it. A sparse log (a
 * record every few seconds of event time) would otherwise cost a heartbeat per record, times
 * the partitions it is broadcast to. The watermark then moves in larger steps, which changes no
 * output: the connector-keyed stages judge what arrived in event-time order, whatever the steps
 * (partitions that progress unevenly already give them any step size).
 */
final class SourceProgress {
    static final long NONE = Long.MIN_VALUE;

    private final long gridMs;
    private final long idleMs;
    private long reported = NONE;
    private boolean idleReported;
    private long lastRecordWallClock;
    private long lastSentWallClock;
    private boolean held;
    /** A record was processed since the previous {@link #idleNow} check. */
    private boolean recordSinceCheck;

    /** Event time this far behind the wall clock is history being read, not live traffic. */
    static final long HISTORY_BEHIND_MS = 60_000;
    /** Reading history, at most one heartbeat per this much wall-clock time. */
    static final long HISTORY_HEARTBEAT_MS = 100;

    SourceProgress(final long gridMs, final long idleMs, final long nowWallClock) {
        this.gridMs = gridMs;
        this.idleMs = idleMs;
        this.lastRecordWallClock = nowWallClock;
        this.lastSentWallClock = nowWallClock - HISTORY_HEARTBEAT_MS;
    }

    /** After a record, at this task's stream time: the heartbeat to send, or {@link #NONE}. */
    long afterRecord(final long streamTime, final long nowWallClock) {
        return afterRecord(streamTime, nowWallClock, OptionalLong::empty);
    }

    /**
     * After a record, knowing how far the task's consumer is behind its partition's end
     * ({@code lag}, asked only when a heartbeat could be held): the heartbeat to send, or
     * {@link #NONE}. A heartbeat is held only while more of the partition is still to come, so
     * the last grid point of the input goes out with the record that reached it.
     */
    long afterRecord(final long streamTime, final long nowWallClock, final Supplier<OptionalLong> lag) {
        lastRecordWallClock = nowWallClock;
        recordSinceCheck = true;
        final long g = Math.floorDiv(streamTime, gridMs) * gridMs;
        if (idleReported) {
            // a partition that was reported idle says at once that it holds the watermark again
            reported = Math.max(reported, g);
            idleReported = false;
            return sent(nowWallClock);
        }
        if (g > reported) {
            reported = g;
            held = true;
        }
        if (!held) {
            return NONE;
        }
        final boolean mayHold = streamTime < nowWallClock - HISTORY_BEHIND_MS
            && nowWallClock - lastSentWallClock < HISTORY_HEARTBEAT_MS;
        if (mayHold) {
            final OptionalLong behind = lag.get();
            if (behind.isPresent() && behind.getAsLong() > 0) {
                return NONE;
            }
        }
        return sent(nowWallClock);
    }

    /** Wall-clock check: the heartbeat held back while reading history, once its interval has passed; or {@link #NONE}. */
    long heldNow(final long nowWallClock) {
        return held && !idleReported && nowWallClock - lastSentWallClock >= HISTORY_HEARTBEAT_MS ? sent(nowWallClock) : NONE;
    }

    private long sent(final long nowWallClock) {
        held = false;
        lastSentWallClock = nowWallClock;
        return reported;
    }

    /**
     * Wall-clock check: true when the partition is to be reported idle now (once per idle spell).
     *
     * <p>Never at the first check after a record, however long ago that record began: the
     * consumer's lag counts records fetched, not processed, and a record's wall clock is the time
     * its batch began. A record that took seconds (or a thread that stalled) must not pass for
     * quiet while the records fetched after it still wait in the task's buffer: the task processes
     * its buffered records before each check, so a check with no record since the previous one
     * finds the buffer empty.
     */
    boolean idleNow(final long nowWallClock, final OptionalLong lag) {
        final boolean quietSinceLastCheck = !recordSinceCheck;
        recordSinceCheck = false;
        if (idleReported || !quietSinceLastCheck || nowWallClock - lastRecordWallClock < idleMs || lag.isEmpty()
            || lag.getAsLong() > 0) {
            return false;
        }
        idleReported = true;
        held = false; // the idle heartbeat carries the latest grid point
        return true;
    }

    /** The time an idle heartbeat carries: the last grid point reported, 0 when the partition never had a record. */
    long idleTime() {
        return reported == NONE ? 0 : reported;
    }
}
