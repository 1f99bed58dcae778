package io.mailflow.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sorting half of a replay: decides which recognised files are sorted before the merge
 * ({@link SortOptions#sorts}: exports are sorted, logs stream), turns them into {@link SortedSource}s
 * that are due at the start of the merge (their earliest record can be anywhere in the file), and
 * owns what sorting needs meanwhile: the in-memory budget and a spill directory under
 * {@code java.io.tmpdir} (or {@code --sort-dir}), created on the first spill and deleted with
 * everything in it when the replay ends, on failure too ({@link #close()}); every file in it is
 * also marked {@link java.io.File#deleteOnExit()} in case the JVM is stopped (Ctrl-C) first.
 *
 * <p>Memory: at most {@link SortOptions#buffer()} records are held for sorting at any time: those
 * read from the file being sorted and those of sorted files that fit in memory and wait there for
 * the merge. When the file being sorted needs the room, the waiting files are spilled first
 * (largest first), then its own buffer.
 */
final class ExportSorter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExportSorter.class);
    private static final long PROGRESS_INTERVAL_NANOS = 200_000_000L;
    /** Runs merged at once; more runs are first merged in groups of this many. */
    static final int DEFAULT_FAN_IN = 64;

    private final SortOptions options;
    private final ReplayStats stats;
    private final ReplayProgress progress;
    private final AtomicLong bytesRead;
    private final long totalBytes;
    private final long started;
    private final int fanIn;
    private Path dir;
    private int runCounter;
    private long retained;
    private final List<SortedSource> resident = new ArrayList<>();
    private long lastProgress = Long.MIN_VALUE;

    ExportSorter(final SortOptions options, final ReplayStats stats, final ReplayProgress progress,
            final AtomicLong bytesRead, final long totalBytes, final long started) {
        this(options, stats, progress, bytesRead, totalBytes, started, DEFAULT_FAN_IN);
    }

    ExportSorter(final SortOptions options, final ReplayStats stats, final ReplayProgress progress,
            final AtomicLong bytesRead, final long totalBytes, final long started, final int fanIn) {
        this.options = options;
        this.stats = stats;
        this.progress = progress;
        this.bytesRead = bytesRead;
        this.totalBytes = totalBytes;
        this.started = started;
        this.fanIn = Math.max(2, fanIn);
    }

    /**
     * The recognised files, those to sort replaced by sources due at the start of the merge that
     * sort the file when opened. {@code formats} maps each file to its (detected or forced) format.
     */
    List<PendingSource> arrange(final List<PendingSource> pending, final Map<String, TraceFormat> formats) {
        final List<PendingSource> out = new ArrayList<>(pending.size());
        for (final PendingSource p : pending) {
            final TraceFormat format = formats.get(p.file());
            if (format == null || !options.sorts(format)) {
                out.add(p);
                continue;
            }
            out.add(new PendingSource(p.index(), p.file(), Long.MIN_VALUE, () -> {
                final RecordSource opened = p.opener().open();
                if (!(opened instanceof TraceSource source)) {
                    return opened;
                }
                return SortedSource.sort(source, this);
            }));
        }
        return out;
    }

    int bufferSize() {
        return options.buffer();
    }

    int fanIn() {
        return fanIn;
    }

    /** Notes the peak of records held for sorting, with {@code buffered} in the buffer of the file being sorted. */
    void held(final long buffered) {
        if (retained + buffered > stats.peakSortRecords) {
            stats.peakSortRecords = retained + buffered;
        }
    }

    /** Records that may still be added to the buffer of the file being sorted. */
    long room() {
        return options.buffer() - retained;
    }

    /** {@code source} keeps {@code records} in memory until the merge has taken them. */
    void hold(final SortedSource source, final long records) {
        retained += records;
        resident.add(source);
    }

    /** The merge took records of a resident source. */
    void release(final long records) {
        retained -= records;
    }

    /** {@code source} holds no more records in memory. */
    void forget(final SortedSource source) {
        resident.remove(source);
    }

    /**
     * Spills the records of the sorted file that holds the most in memory to disk, to make room;
     * false when no file holds any.
     */
    boolean evictResident() throws IOException {
        SortedSource largest = null;
        for (final SortedSource s : resident) {
            if (largest == null || s.resident() > largest.resident()) {
                largest = s;
            }
        }
        if (largest == null) {
            return false;
        }
        final long records = largest.resident();
        final long bytes = largest.evict();
        resident.remove(largest);
        retained -= records;
        stats.runsSpilled++;
        stats.bytesSpilled += bytes;
        LOG.debug("spilled {} records of {} to make room", records, largest.file());
        return true;
    }

    /** A new, empty run file in the spill directory (created now if this is the first). */
    Path newRun(final int sourceIndex) throws IOException {
        if (dir == null) {
            final Path base = options.dir() != null ? options.dir() : Path.of(System.getProperty("java.io.tmpdir"));
            Files.createDirectories(base);
            dir = Files.createTempDirectory(base, "mailflow-sort-");
            dir.toFile().deleteOnExit();
            LOG.debug("spilling sort runs to {}", dir);
        }
        final Path run = dir.resolve(String.format(Locale.ROOT, "input%04d-run%06d.avro", sourceIndex, runCounter++));
        // registered after the directory, so deleted before it at exit
        run.toFile().deleteOnExit();
        Files.createFile(run);
        return run;
    }

    /**
     * Merges runs until at most {@link #fanIn()} are left, so the final merge keeps a bounded
     * number of files open: each pass merges just enough of the oldest runs into one (at most
     * {@code fanIn} of them), so as few records as possible are written twice. {@code runs} is
     * updated in place; returns the bytes written.
     */
    long reduce(final List<Path> runs, final int sourceIndex, final TraceFormat format) throws IOException {
        long written = 0;
        while (runs.size() > fanIn) {
            final int take = Math.min(fanIn, runs.size() - fanIn + 1);
            final List<Path> group = new ArrayList<>(runs.subList(0, take));
            final Path merged = newRun(sourceIndex);
            final List<SortRun.Cursor> cursors = new ArrayList<>(group.size());
            try {
                for (final Path run : group) {
                    cursors.add(SortRun.read(run, sourceIndex, format));
                }
                try (SortRun.Cursor all = SortRun.merge(cursors)) {
                    written += SortRun.write(merged, all);
                }
            } catch (final IOException | RuntimeException e) {
                SortRun.closeAll(cursors, e);
                delete(merged);
                throw e;
            }
            group.forEach(ExportSorter::delete);
            runs.subList(0, take).clear();
            runs.add(merged);
        }
        return written;
    }

    /**
     * Tells the progress listener how far the sort of {@code file} has got: a few times per second,
     * and always when {@code last} (the file is read and its runs are written).
     */
    void progress(final String file, final long records, final int runsSpilled, final boolean last) {
        final long now = System.nanoTime();
        if (!last && lastProgress != Long.MIN_VALUE && now - lastProgress < PROGRESS_INTERVAL_NANOS) {
            return;
        }
        lastProgress = now;
        progress.sorting(new ReplayProgress.SortSnapshot(file, records, runsSpilled, bytesRead.get(), totalBytes,
                Duration.ofNanos(now - started)));
    }

    void sorted(final String file, final long records, final int runsSpilled, final long bytesSpilled, final long nanos) {
        stats.sortedFiles++;
        stats.sortedRecords += records;
        stats.runsSpilled += runsSpilled;
        stats.bytesSpilled += bytesSpilled;
        stats.sortNanos += nanos;
        LOG.debug("sorted {}: {} records in {} ms, {} runs spilled ({} bytes)", file, records, nanos / 1_000_000,
                runsSpilled, bytesSpilled);
    }

    static void delete(final Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (final IOException e) {
            LOG.warn("cannot delete sort run {}: {}", file, e.getMessage());
        }
    }

    /** Deletes the spill directory and whatever is still in it. */
    @Override
    public void close() {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(ExportSorter::delete);
        } catch (final NoSuchFileException e) {
            // already gone
        } catch (final IOException | UncheckedIOException e) {
            LOG.warn("cannot delete the sort directory {}: {}", dir, e.getMessage());
        }
        dir = null;
    }
}
