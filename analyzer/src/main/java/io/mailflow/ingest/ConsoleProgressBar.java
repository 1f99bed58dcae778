package io.mailflow.ingest;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/** One line, redrawn in place: {@code [#####.....]  48%  1,234,567 records  85,000 rec/s  ETA 0:12}. */
public final class ConsoleProgressBar implements ReplayProgress {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private int lastLength;

    public ConsoleProgressBar(final PrintStream out) {
        this.out = out;
    }

    @Override
    public void update(final Snapshot s) {
        final String line = render(s);
        final int pad = Math.max(0, lastLength - line.length());
        out.print("\r" + line + " ".repeat(pad));
        out.flush();
        lastLength = line.length();
    }

    @Override
    public void sorting(final SortSnapshot s) {
        final int filled = (int) Math.round(s.fraction() * WIDTH);
        final String line = String.format(Locale.ROOT, "[%s%s] %3d%%  %s", "#".repeat(filled), ".".repeat(WIDTH - filled),
                Math.round(s.fraction() * 100), s.describe());
        final int pad = Math.max(0, lastLength - line.length());
        out.print("\r" + line + " ".repeat(pad));
        out.flush();
        lastLength = line.length();
    }

    @Override
    public void finished(final ReplaySummary summary) {
        // the bar goes away; the command prints the summary once, on its standard output
        out.print("\r" + " ".repeat(lastLength) + "\r");
        out.flush();
    }

    static String render(final Snapshot s) {
        final int filled = (int) Math.round(s.fraction() * WIDTH);
        final Duration eta = s.eta();
        return String.format(Locale.ROOT, "[%s%s] %3d%%  %,d records  %,.0f rec/s  ETA %s",
                "#".repeat(filled), ".".repeat(WIDTH - filled), Math.round(s.fraction() * 100),
                s.records(), s.recordsPerSecond(), eta == null ? "--:--" : clock(eta));
    }

    static String clock(final Duration d) {
        final long secs = d.getSeconds();
        return secs >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", secs / 3600, secs / 60 % 60, secs % 60)
                : String.format(Locale.ROOT, "%d:%02d", secs / 60, secs % 60);
    }
}
