package io.mailflow.ingest;

import java.time.Duration;
import java.time.Instant;

/**
 * A trace stamped far after the clock of the machine reading it is bad input, not a trace: Kafka
 * refuses records more than {@code message.timestamp.after.max.ms} (1 h by default since Kafka
 * 4.0) after the broker's clock, and it fails the whole batch the record travels in, so one such
 * line failed a replay with dozens of good ones. Such a line is rejected as it is read (a dead
 * letter with the reason below), like a line that does not parse. The clock is the machine's, as
 * the broker's is: not {@link ReplayOptions#clock()}, which only dates syslog years.
 */
final class FutureEventTime {
    /** How far after the reader's clock a trace may be: the broker's default limit. */
    static final Duration LIMIT = Duration.ofHours(1);

    private FutureEventTime() {
    }

    /** Why a trace at {@code eventTime} is rejected when the clock reads {@code nowMs}; null when it is accepted. */
    static String rejection(final long eventTime, final long nowMs) {
        if (eventTime <= nowMs + LIMIT.toMillis()) {
            return null;
        }
        return "event time " + Instant.ofEpochMilli(eventTime) + " is more than " + LIMIT.toHours()
            + " h after this machine's clock (" + Instant.ofEpochMilli(nowMs) + "): Kafka refuses records that far ahead"
            + " (message.timestamp.after.max.ms); check the clock of the server that wrote the line, or the time zone"
            + " of a syslog file (--timezone)";
    }
}
