package io.mailflow.ingest;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which files a replay sorts by event time before the merge, and with how much memory.
 * <b>Exports are sorted, logs stream:</b> Exchange Online downloads and PowerShell exports come in
 * no particular order (often newest first), so they are sorted whole; tracking logs and syslog are
 * written as things happen and stream through their reorder buffer.
 *
 * @param mode   {@link Mode#AUTO} sorts the {@link #EXPORTS} formats; ALWAYS ({@code --sort}) every
 *               file, NEVER ({@code --no-sort}) none
 * @param buffer records sorted in memory at once ({@code --sort-buffer}): a file with more records
 *               is sorted in runs of this size that are spilled to disk and merged
 * @param dir    where the runs go ({@code --sort-dir}); null = {@code java.io.tmpdir}
 */
public record SortOptions(Mode mode, int buffer, Path dir) {
    /** When to sort. */
    public enum Mode { AUTO, ALWAYS, NEVER }

    /**
     * Records held in memory for sorting by default. A record held for sorting takes about 0.66 to
     * 0.75 KB of heap (measured on generated Exchange Online extended-report rows, 64-bit JVM with
     * compressed references; see docs/ingest-formats.md), so the default holds about 150 MB: a
     * 100,000-row historical search download (about two records per row) is sorted in memory,
     * with room beside an embedded broker and the analyzer in the launcher's 1 GiB heap.
     */
    public static final int DEFAULT_BUFFER = 200_000;

    /** The formats that are exports of a search, not logs written as things happened. */
    public static final Set<TraceFormat> EXPORTS = Set.copyOf(EnumSet.of(TraceFormat.EXCHANGE_ONLINE_CSV,
            TraceFormat.EXCHANGE_ONLINE_DETAIL, TraceFormat.EXCHANGE_ONLINE_SUMMARY, TraceFormat.EXCHANGE_ONLINE_JSON,
            TraceFormat.JSONL));

    public SortOptions {
        mode = mode == null ? Mode.AUTO : mode;
        if (buffer < 0) {
            throw new IllegalArgumentException("the sort buffer must be a positive number of records, not " + buffer);
        }
        buffer = buffer == 0 ? DEFAULT_BUFFER : buffer;
    }

    public static SortOptions defaults() {
        return new SortOptions(Mode.AUTO, DEFAULT_BUFFER, null);
    }

    /** Whether a file of this format is sorted before the merge. */
    public boolean sorts(final TraceFormat format) {
        return switch (mode) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> EXPORTS.contains(format);
        };
    }

    public SortOptions withMode(final Mode value) {
        return new SortOptions(value, buffer, dir);
    }

    public SortOptions withBuffer(final int value) {
        return new SortOptions(mode, value, dir);
    }

    public SortOptions withDir(final Path value) {
        return new SortOptions(mode, buffer, value);
    }

    /** "auto", "always", "never". */
    public String describe() {
        return mode.name().toLowerCase(Locale.ROOT);
    }
}
