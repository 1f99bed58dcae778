package io.mailflow.app;

import io.mailflow.config.Durations;
import java.time.Duration;
import picocli.CommandLine;

/**
 * Duration options ({@code --timeout 30m}, {@code --quiet-period 3s}) read as mailflow's settings
 * are ({@link Durations#parse}); a value that is not one is a usage error naming the option and
 * the forms accepted, found before anything starts.
 */
public final class DurationOption implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(final String value) {
        try {
            return Durations.parse(value);
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }

    /** A duration that must be longer than zero ({@code --timeout 0s} would give up before starting). */
    public static final class Positive implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(final String value) {
            final Duration d = new DurationOption().convert(value);
            if (d.isZero() || d.isNegative()) {
                throw new CommandLine.TypeConversionException("'" + value + "' must be longer than zero (examples: 30s, 30m, 2h)");
            }
            return d;
        }
    }
}
