package io.mailflow.app;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * What {@code replay --embedded} and {@code demo} show while the analyzer works through what the
 * replay sent: the trace records it has analysed (consumed and committed) of those sent, its rate,
 * the time left at that rate, and the output records so far. On a terminal one line redrawn in
 * place; elsewhere (a log, CI) a line every {@link #LOG_INTERVAL}.
 */
public interface AnalyzerProgress {
    /** How often a line is printed when standard error is not a terminal. */
    Duration LOG_INTERVAL = Duration.ofSeconds(5);

    /**
     * One poll of the analyzer's progress.
     *
     * @param analysed      trace records the analyzer has consumed and committed
     * @param sent          trace records in the traces topic (its end offsets)
     * @param outputRecords records in the output topics so far
     * @param perSecond     trace records analysed per second since the wait began (0 while unknown)
     * @param elapsed       time since the wait began
     */
    record Status(long analysed, long sent, long outputRecords, double perSecond, Duration elapsed) {
        /** Time left at the current rate; null while the rate is unknown or nothing is left. */
        public Duration eta() {
            if (analysed >= sent || perSecond <= 0) {
                return null;
            }
            return Duration.ofMillis((long) Math.ceil((sent - analysed) * 1000.0 / perSecond));
        }

        /**
         * "Analysing: 120,345 of 200,000 trace records (60 %), 9,870 records/s, ETA 0:08; 1,234 output records (12 s)",
         * or, once every record sent is analysed, that the last results are being committed.
         */
        public String describe() {
            final String elapsedText = String.format(Locale.ROOT, " (%d s)", elapsed.toSeconds());
            final String rate = perSecond <= 0 ? "" : String.format(Locale.ROOT, ", %,.0f records/s", perSecond);
            if (sent == 0) {
                return String.format(Locale.ROOT, "Analysing: no trace records sent; %,d output records%s", outputRecords, elapsedText);
            }
            if (analysed >= sent) {
                return String.format(Locale.ROOT, "Analysing: all %,d trace records analysed%s; %,d output records, finishing%s",
                    sent, rate, outputRecords, elapsedText);
            }
            final Duration eta = eta();
            final String etaText = eta == null ? "" : String.format(Locale.ROOT, ", ETA %d:%02d", eta.toMinutes(), eta.toSecondsPart());
            return String.format(Locale.ROOT, "Analysing: %,d of %,d trace records (%d %%)%s%s; %,d output records%s",
                analysed, sent, analysed * 100 / sent, rate, etaText, outputRecords, elapsedText);
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

    /** Told at every poll (about ten times a second) while the wait goes on. */
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
