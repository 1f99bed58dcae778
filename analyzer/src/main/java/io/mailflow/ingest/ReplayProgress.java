package io.mailflow.ingest;

import java.time.Duration;

/** Told about a replay's progress a few times per second, and once at the end. */
public interface ReplayProgress {
    /**
     * @param records    records sent so far
     * @param bytesRead  input bytes read so far (compressed bytes for gzip files)
     * @param totalBytes size of all inputs
     * @param elapsed    time since the replay started
     * @param file       the file the last record came from
     */
    record Snapshot(long records, long bytesRead, long totalBytes, Duration elapsed, String file) {
        public double recordsPerSecond() {
            final double s = elapsed.toNanos() / 1e9;
            return s <= 0 ? 0 : records / s;
        }

        /** Fraction of input read, 0..1. */
        public double fraction() {
            return totalBytes <= 0 ? 0 : Math.min(1.0, (double) bytesRead / totalBytes);
        }

        /** Remaining time extrapolated from the bytes read so far; null before there is a basis. */
        public Duration eta() {
            final double f = fraction();
            if (f <= 0.0001 || elapsed.isZero()) {
                return null;
            }
            return Duration.ofMillis((long) (elapsed.toMillis() * (1 - f) / f));
        }
    }

    /**
     * While a file is sorted before the merge (nothing is sent meanwhile).
     *
     * @param file        the file being sorted
     * @param records     its records read so far
     * @param runsSpilled sorted runs of it written to disk so far
     * @param bytesRead   input bytes read so far, all files
     * @param totalBytes  size of all inputs
     * @param elapsed     time since the replay started
     */
    record SortSnapshot(String file, long records, int runsSpilled, long bytesRead, long totalBytes, Duration elapsed) {
        /** "sorting exports/trace1.csv: 1,200,000 records, 3 runs spilled". */
        public String describe() {
            return String.format(java.util.Locale.ROOT, "sorting %s: %,d records, %d run%s spilled", file, records,
                    runsSpilled, runsSpilled == 1 ? "" : "s");
        }

        /** Fraction of all input read, 0..1. */
        public double fraction() {
            return totalBytes <= 0 ? 0 : Math.min(1.0, (double) bytesRead / totalBytes);
        }
    }

    ReplayProgress NONE = new ReplayProgress() {
        @Override
        public void update(final Snapshot snapshot) {
        }

        @Override
        public void finished(final ReplaySummary summary) {
        }
    };

    void update(Snapshot snapshot);

    void finished(ReplaySummary summary);

    /** Told a few times per second while a file is sorted before the merge. */
    default void sorting(final SortSnapshot snapshot) {
    }

    /** A progress bar on an interactive terminal, otherwise a log line every 5 seconds. */
    static ReplayProgress forCurrentTerminal() {
        return System.console() != null
                ? new ConsoleProgressBar(System.err)
                : new LoggingProgress(Duration.ofSeconds(5));
    }
}
