package io.mailflow.detect;

import java.util.OptionalLong;

/**
 * What a traces task tells the connector-keyed stages about its partition's progress:
 * heartbeats on a fixed event-time grid (every heartbeat interval), and "idle" when the partition
 * is caught up with its end offset and has had no record for partition-idle of wall-clock time.
 *
 * <p>Grid points, not raw stream times: every partition that reaches the same event time
 * reports the same value, so the watermark downstream (the slowest partition) is a function of
 * the input, not of which record happened to be a partition's last. A heartbeat at g promises
 * that this partition has sent on everything with an event time before g.
 */
final class SourceProgress {
    static final long NONE = Long.MIN_VALUE;

    private final long gridMs;
    private final long idleMs;
    private long reported = NONE;
    private boolean idleReported;
    private long lastRecordWallClock;

    SourceProgress(final long gridMs, final long idleMs, final long nowWallClock) {
        this.gridMs = gridMs;
        this.idleMs = idleMs;
        this.lastRecordWallClock = nowWallClock;
    }

    /** After a record, at this task's stream time: the heartbeat to send, or {@link #NONE}. */
    long afterRecord(final long streamTime, final long nowWallClock) {
        lastRecordWallClock = nowWallClock;
        final long g = Math.floorDiv(streamTime, gridMs) * gridMs;
        if (g > reported || idleReported) {
            // a partition that was reported idle says at once that it holds the watermark again
            reported = Math.max(reported, g);
            idleReported = false;
            return reported;
        }
        return NONE;
    }

    /** Wall-clock check: true when the partition is to be reported idle now (once per idle spell). */
    boolean idleNow(final long nowWallClock, final OptionalLong lag) {
        if (idleReported || nowWallClock - lastRecordWallClock < idleMs || lag.isEmpty() || lag.getAsLong() > 0) {
            return false;
        }
        idleReported = true;
        return true;
    }

    /** The time an idle heartbeat carries: the last grid point reported, 0 when the partition never had a record. */
    long idleTime() {
        return reported == NONE ? 0 : reported;
    }
}
