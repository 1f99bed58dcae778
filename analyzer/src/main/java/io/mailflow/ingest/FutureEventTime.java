package io.mailflow.ingest;

import java.time.Duration;
import java.time.Instant;

/**
 * A trace stamped far after the clock of the machine reading it is bad input, not a trace: Kafka
 * refuses records more than {@code message.timestamp.after.max.ms} (1 h by default since Kafka
 * 4.0) after the broker's clock, and it fails the whole batch the record travels in, so one such
 * line failed a replay with dozens of good ones. Even where a broker took it, its time would move
 * its partition years ahead and close every window still open. Such a line is rejected as it is
 * read (a dead letter with this reason), like a line that does not parse.
 */
final class FutureEventTime {
    /** How far after the reader's clock a trace may be: the broker's default limit. */
    static final Duration LIMIT = Duration.ofHours(1);

    private FutureEventTime() {
    }

    /** The latest event time accepted when the clock reads {@code nowMs}. */
    static long latestAccepted(final long nowMs) {
        return nowMs + LIMIT.toMillis();
    }

    /** Why a trace at {@code eventTime} is rejected when the clock reads {@code nowMs}. */
    static String reason(final long eventTime, final long nowMs) {
        return "event time " + Instant.ofEpochMilli(eventTime) + " is more than " + LIMIT.toHours()
            + " h after this machine's clock (" + Instant.ofEpochMilli(nowMs) + "): Kafka refuses records that far ahead"
            + " (message.timestamp.after.max.ms), and its time would close every open window of its partition;"
            + " check the clock of the server that wrote the line, or the time zone of a syslog file (--timezone)";
    }
}
