package io.mailflow.ingest;

import java.time.Clock;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * How to replay.
 *
 * @param format          force this format for every file; null = detect per file from its content
 * @param speed           0 = as fast as possible ("max"); N = N times real time, pacing by event-time gaps
 * @param referenceYear   year of the first line of a classic-syslog file; null = infer from {@code clock}
 * @param syslogZone      zone of syslog timestamps without offset (classic Postfix lines)
 * @param clock           "now" for year inference (and the pacing clock)
 * @param reorderWindow   records buffered per file to put slightly out-of-order lines back in order
 * @param maxQueueIds     Postfix queue ids remembered in a replay, all Postfix files together (least recently used leave first)
 * @param progress        progress listener
 * @param dateOrder       order of day and month in the numeric dates of Exchange Online CSV exports
 *                        ({@code --date-format}), for every file; null = decided per file from its own
 *                        dates ({@link ExportDates}), which the replay fills in for each file it reads
 * @param sort            which files are sorted before the merge (exports by default), in how much memory
 */
public record ReplayOptions(
        TraceFormat format,
        double speed,
        Integer referenceYear,
        ZoneId syslogZone,
        Clock clock,
        int reorderWindow,
        int maxQueueIds,
        ReplayProgress progress,
        DateOrder dateOrder,
        SortOptions sort) {

    public static final int DEFAULT_REORDER_WINDOW = 1024;
    public static final int DEFAULT_MAX_QUEUE_IDS = 200_000;

    public ReplayOptions {
        if (speed < 0 || Double.isNaN(speed)) {
            throw new IllegalArgumentException("speed must be 0 (max) or a positive factor, not " + speed);
        }
        syslogZone = syslogZone == null ? ZoneOffset.UTC : syslogZone;
        clock = clock == null ? Clock.systemUTC() : clock;
        reorderWindow = reorderWindow <= 0 ? DEFAULT_REORDER_WINDOW : reorderWindow;
        maxQueueIds = maxQueueIds <= 0 ? DEFAULT_MAX_QUEUE_IDS : maxQueueIds;
        progress = progress == null ? ReplayProgress.NONE : progress;
        sort = sort == null ? SortOptions.defaults() : sort;
    }

    /**
     * Detect formats, full speed, UTC syslog times, year from the current date, no progress output,
     * export date order decided per file.
     */
    public static ReplayOptions defaults() {
        return new ReplayOptions(null, 0, null, ZoneOffset.UTC, Clock.systemUTC(),
                DEFAULT_REORDER_WINDOW, DEFAULT_MAX_QUEUE_IDS, ReplayProgress.NONE, null, SortOptions.defaults());
    }

    /** Parses "max" or a factor such as "10", "10x", "0.5x". */
    public static double parseSpeed(final String text) {
        final String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("max")) {
            return 0;
        }
        final double v = Double.parseDouble(t.endsWith("x") ? t.substring(0, t.length() - 1) : t);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("speed must be 'max' or a positive factor like 10x, not '" + text + "'");
        }
        return v;
    }

    public ReplayOptions withFormat(final TraceFormat value) {
        return new ReplayOptions(value, speed, referenceYear, syslogZone, clock, reorderWindow, maxQueueIds, progress, dateOrder, sort);
    }

    public ReplayOptions withSpeed(final double value) {
        return new ReplayOptions(format, value, referenceYear, syslogZone, clock, reorderWindow, maxQueueIds, progress, dateOrder, sort);
    }

    public ReplayOptions withReferenceYear(final Integer value) {
        return new ReplayOptions(format, speed, value, syslogZone, clock, reorderWindow, maxQueueIds, progress, dateOrder, sort);
    }

    public ReplayOptions withSyslogZone(final ZoneId value) {
        return new ReplayOptions(format, speed, referenceYear, value, clock, reorderWindow, maxQueueIds, progress, dateOrder, sort);
    }

    public ReplayOptions withClock(final Clock value) {
        return new ReplayOptions(format, speed, referenceYear, syslogZone, value, reorderWindow, maxQueueIds, progress, dateOrder, sort);
    }

    public ReplayOptions withReorderWindow(final int value) {
        return new ReplayOptions(format, speed, referenceYear, syslogZone, clock, value, maxQueueIds, progress, dateOrder, sort);
    }

    public ReplayOptions withMaxQueueIds(final int value) {
        return new ReplayOptions(format, speed, referenceYear, syslogZone, clock, reorderWindow, value, progress, dateOrder, sort);
    }

    public ReplayOptions withProgress(final ReplayProgress value) {
        return new ReplayOptions(format, speed, referenceYear, syslogZone, clock, reorderWindow, maxQueueIds, value, dateOrder, sort);
    }

    public ReplayOptions withDateOrder(final DateOrder value) {
        return new ReplayOptions(format, speed, referenceYear, syslogZone, clock, reorderWindow, maxQueueIds, progress, value, sort);
    }

    public ReplayOptions withSort(final SortOptions value) {
        return new ReplayOptions(format, speed, referenceYear, syslogZone, clock, reorderWindow, maxQueueIds, progress, dateOrder, value);
    }

    /** AUTO: exports sorted, logs streamed; ALWAYS: {@code --sort}; NEVER: {@code --no-sort}. */
    public ReplayOptions withSortMode(final SortOptions.Mode value) {
        return withSort(sort.withMode(value));
    }

    /** Records per in-memory sort run ({@code --sort-buffer}). */
    public ReplayOptions withSortBuffer(final int value) {
        return withSort(sort.withBuffer(value));
    }

    /** Where sort runs are spilled ({@code --sort-dir}); null = java.io.tmpdir. */
    public ReplayOptions withSortDir(final java.nio.file.Path value) {
        return withSort(sort.withDir(value));
    }
}
