package io.mailflow.app;

import io.mailflow.config.Durations;
import io.mailflow.emit.DeadLetterExceptionHandler;
import io.mailflow.emit.DeadLetters;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * What to do with a stream thread that stopped on an exception no handler took. A fault of the
 * registry or the broker (the dead-letter handler refused to blame the record) says nothing about
 * the data: the thread is always replaced, after a wait that doubles from 1 s up to a minute while
 * the faults go on, so an instance outlives an outage of any length and processes the record once
 * the fault is gone. Anything else is a bug: the thread is replaced a few times within a window
 * (state is restored from the changelog), then the instance shuts down rather than spin.
 */
final class ThreadReplacementPolicy {
    static final int MAX_REPLACEMENTS_AFTER_ERRORS = 3;
    static final Duration WINDOW = Duration.ofMinutes(10);
    static final Duration FIRST_WAIT = Duration.ofSeconds(1);
    static final Duration MAX_WAIT = Duration.ofMinutes(1);

    /** The response, how long to wait before it, and what to tell /health. */
    record Decision(StreamThreadExceptionResponse response, Duration delay, boolean infrastructure, String fault) {
    }

    private final Deque<Long> recentErrors = new ArrayDeque<>();
    private long lastFault = Long.MIN_VALUE;
    private long lastInfrastructureFault = Long.MIN_VALUE;
    private Duration nextWait = FIRST_WAIT;
    private String fault;

    synchronized Decision decide(final Throwable error, final long nowMillis) {
        lastFault = nowMillis;
        if (DeadLetterExceptionHandler.isInfrastructureFault(error)) {
            if (lastInfrastructureFault == Long.MIN_VALUE || nowMillis - lastInfrastructureFault > WINDOW.toMillis()) {
                nextWait = FIRST_WAIT;
            }
            lastInfrastructureFault = nowMillis;
            final Duration wait = nextWait;
            nextWait = nextWait.multipliedBy(2).compareTo(MAX_WAIT) > 0 ? MAX_WAIT : nextWait.multipliedBy(2);
            fault = "stream thread restarting after a fault of the registry or broker: " + DeadLetters.reasonOf(error);
            return new Decision(StreamThreadExceptionResponse.REPLACE_THREAD, wait, true, fault);
        }
        recentErrors.addLast(nowMillis);
        while (!recentErrors.isEmpty() && recentErrors.peekFirst() < nowMillis - WINDOW.toMillis()) {
            recentErrors.removeFirst();
        }
        if (recentErrors.size() <= MAX_REPLACEMENTS_AFTER_ERRORS) {
            fault = "stream thread replaced after an error (" + recentErrors.size() + " of " + MAX_REPLACEMENTS_AFTER_ERRORS
                + " in " + Durations.humanize(WINDOW) + "): " + DeadLetters.reasonOf(error);
            return new Decision(StreamThreadExceptionResponse.REPLACE_THREAD, Duration.ZERO, false, fault);
        }
        fault = "shutting down: stream threads keep failing: " + DeadLetters.reasonOf(error);
        return new Decision(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, Duration.ZERO, false, fault);
    }

    /** The last fault, while it is less than {@link #WINDOW} old; null otherwise. */
    synchronized String recentFault(final long nowMillis) {
        return fault != null && nowMillis - lastFault < WINDOW.toMillis() ? fault : null;
    }
}
