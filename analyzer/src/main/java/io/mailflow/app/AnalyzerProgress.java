package io.mailflow.app;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * What {@code replay --embedded} and {@code demo} show while they wait for the analyzer to finish
 * (half a minute on a large replay): the trace records it has committed of those written, the
 * output records so far, and how long everything has been quiet. On a terminal one line redrawn in
 * place; elsewhere (a log, CI) a line every {@link #LOG_INTERVAL}.
 */
public interface AnalyzerProgress {
    /** How often a line is printed when standard error is not a terminal. */
    Duration LOG_INTERVAL = Duration.ofSeconds(10);

    /**
     * One poll of the analyzer's progress.
     *
     * @param tracesCommitted trace records the analyzer has consumed and committed
     * @param tracesWritten   trace records in the traces topic (its end offsets)
     * @param outputRecords   records in the output topics so far
     * @param quietFor        how long nothing has moved (zero while something does)
     * @param quietPeriod     how long nothing may move before the output counts as complete
     * @param elapsed         time since the wait began
     */
    record Status(long tracesCommitted, long tracesWritten, long outputRecords, Duration quietFor, Duration quietPeriod,
                  Duration elapsed) {
        /** "120,345 of 200,000 trace records committed, 1,234 output records (12 s)", or, once all are, how long it has been quiet. */
        public String describe() {
            final String committed = tracesWritten == 0 ? "no trace records to process"
                : tracesCommitted >= tracesWritten
                ? String.format(Locale.ROOT, "all %,d trace records committed", tracesWritten)
                : String.format(Locale.ROOT, "%,d of %,d trace records committed", tracesCommitted, tracesWritten);
            final String quiet = quietFor.isZero() ? ""
                : String.format(Locale.ROOT, "; quiet for %d of %d s", quietFor.toSeconds(), quietPeriod.toSeconds());
            return String.format(Locale.ROOT, "Waiting for the analyzer: %s, %,d output records%s (%d s)",
                committed, outputRecords, quiet, elapsed.toSeconds());
        }
    }

    AnalyzerProgress NONE = new AnalyzerProgress() {
        @Override
        public void waiting(final Status status) {
        }

        @Override
        public void done() {
        }
    };

    /** Told at every poll (four times a second) while the wait goes on. */
    void waiting(Status status);

    /** The wait is over, either way. */
    void done();

    /** A line redrawn in place on a terminal, otherwise a line every {@link #LOG_INTERVAL}; both on standard error. */
    static AnalyzerProgress forCurrentTerminal() {
        return System.console() != null ? inPlace(System.err) : everyInterval(System.err, LOG_INTERVAL);
    }

    /** One status line, redrawn with a carriage return; cleared when done. */
    static AnalyzerProgress inPlace(final PrintStream out) {
        return new AnalyzerProgress() {
            private int lastLength;

            @Override
            public void waiting(final Status status) {
                final String line = status.describe();
                out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
                out.flush();
                lastLength = line.length();
            }

            @Override
            public void done() {
                if (lastLength > 0) {
                    out.print("\r" + " ".repeat(lastLength) + "\r");
                    out.flush();
                }
            }
        };
    }

    /** A line when the wait has gone on for {@code interval}, and every {@code interval} after that. */
    static AnalyzerProgress everyInterval(final PrintStream out, final Duration interval) {
        return new AnalyzerProgress() {
            private long printedUpTo;

            @Override
            public void waiting(final Status status) {
                final long due = status.elapsed().toMillis() / interval.toMillis();
                if (due > printedUpTo) {
                    printedUpTo = due;
                    out.println(status.describe());
                    out.flush();
                }
            }

            @Override
            public void done() {
            }
        };
    }
}
