package io.mailflow.ingest;

import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** For non-interactive runs (CI, containers): one log line per interval, the summary at the end. */
public final class LoggingProgress implements ReplayProgress {
    private static final Logger LOG = LoggerFactory.getLogger(LoggingProgress.class);
    private final long intervalNanos;
    private long lastLogged = Long.MIN_VALUE;

    public LoggingProgress(final Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    @Override
    public void update(final Snapshot s) {
        final long elapsed = s.elapsed().toNanos();
        if (lastLogged != Long.MIN_VALUE && elapsed - lastLogged < intervalNanos) {
            return;
        }
        lastLogged = elapsed;
        final Duration eta = s.eta();
        LOG.info(String.format(Locale.ROOT, "replay: %3d%% of input, %,d records, %,.0f records/s, ETA %s (%s)",
                Math.round(s.fraction() * 100), s.records(), s.recordsPerSecond(),
                eta == null ? "unknown" : ConsoleProgressBar.clock(eta), s.file()));
    }

    @Override
    public void sorting(final SortSnapshot s) {
        final long elapsed = s.elapsed().toNanos();
        if (lastLogged != Long.MIN_VALUE && elapsed - lastLogged < intervalNanos) {
            return;
        }
        lastLogged = elapsed;
        LOG.info(String.format(Locale.ROOT, "replay: %3d%% of input, %s", Math.round(s.fraction() * 100), s.describe()));
    }

    @Override
    public void finished(final ReplaySummary summary) {
        // one line: the command prints the full summary on its standard output
        LOG.info(String.format(Locale.ROOT, "replay finished: %,d records, %,d lines skipped, %,d rejected",
            summary.records(), summary.skipped(), summary.rejected()));
    }
}
