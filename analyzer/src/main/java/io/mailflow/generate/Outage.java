package io.mailflow.generate;

import io.mailflow.config.Durations;
import java.time.Duration;

/**
 * An injected connector failure: from {@code start} after the beginning of the run, for
 * {@code duration}, every delivery attempt on the connector fails with {@code failure}.
 */
public record Outage(String connector, TransientFailure failure, Duration start, Duration duration) {

    public Outage {
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("Outage on " + connector + " needs a positive duration");
        }
        if (start.isNegative()) {
            throw new IllegalArgumentException("Outage on " + connector + " cannot start before the run");
        }
    }

    /** Parses {@code connector:code:duration@+start}, e.g. {@code partner-contoso:4.4.316:2h@+1h}. */
    public static Outage parse(final String spec) {
        final int at = spec.lastIndexOf('@');
        final String head = at < 0 ? spec : spec.substring(0, at);
        final String[] parts = head.trim().split(":");
        if (parts.length != 3) {
            throw new IllegalArgumentException("Outage '" + spec + "' is not connector:code:duration[@+start] (example: partner-contoso:4.4.316:2h@+1h)");
        }
        final Duration start;
        if (at < 0) {
            start = Duration.ZERO;
        } else {
            final String offset = spec.substring(at + 1).trim();
            start = duration(offset.startsWith("+") ? offset.substring(1) : offset);
        }
        return new Outage(parts[0].trim(), TransientFailure.ofCode(parts[1].trim()), start, duration(parts[2]));
    }

    private static final java.util.regex.Pattern COMPOUND = java.util.regex.Pattern.compile("(\\d+(?:ms|s|m|h|d))+");
    private static final java.util.regex.Pattern PART = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /** A duration as config takes it, or compound as {@link #toString()} writes it ({@code 2h30m}). */
    private static Duration duration(final String text) {
        final String t = text.trim();
        if (!COMPOUND.matcher(t).matches()) {
            return Durations.parse(t);
        }
        Duration total = Duration.ZERO;
        final java.util.regex.Matcher m = PART.matcher(t);
        while (m.find()) {
            total = total.plus(Durations.parse(m.group()));
        }
        return total;
    }

    /** True when an attempt at {@code offsetMillis} after the start of the run falls in the outage. */
    public boolean activeAt(final long offsetMillis) {
        return offsetMillis >= start.toMillis() && offsetMillis < start.plus(duration).toMillis();
    }

    @Override
    public String toString() {
        return connector + ":" + failure.exchangeCode() + ":" + Durations.humanize(duration) + "@+" + Durations.humanize(start);
    }
}
