package io.mailflow.ingest;

/**
 * Paces a replay at N× real time: a record whose event time is Δ after the first record's is
 * released Δ/N after the replay started. Speed 0 releases everything at once. Event-time gaps
 * drive the pace, so a quiet night in the log is a quiet stretch in the replay.
 */
final class Pacer {
    /** Sleeps; replaceable in tests. */
    interface Sleeper {
        void sleepNanos(long nanos) throws InterruptedException;
    }

    /** A monotonic clock in nanoseconds; replaceable in tests. */
    interface Ticker {
        long nanos();
    }

    private final double speed;
    private final Ticker ticker;
    private final Sleeper sleeper;
    private long startNanos;
    private long firstEventMillis = Long.MIN_VALUE;

    Pacer(final double speed, final Ticker ticker, final Sleeper sleeper) {
        this.speed = speed;
        this.ticker = ticker;
        this.sleeper = sleeper;
    }

    static Pacer realTime(final double speed) {
        return new Pacer(speed, System::nanoTime, nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000)));
    }

    /** Waits until the record with this event time is due. */
    void await(final long eventTimeMillis) throws InterruptedException {
        if (speed <= 0) {
            return;
        }
        if (firstEventMillis == Long.MIN_VALUE) {
            firstEventMillis = eventTimeMillis;
            startNanos = ticker.nanos();
            return;
        }
        final double offsetNanos = Math.max(0, eventTimeMillis - firstEventMillis) * 1_000_000.0 / speed;
        final long wait = startNanos + (long) offsetNanos - ticker.nanos();
        if (wait > 0) {
            sleeper.sleepNanos(wait);
        }
    }
}
