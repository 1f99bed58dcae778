package io.mailflow.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A file sorted by event time before it enters the merge: an external merge sort. The records are
 * read in file order into memory; when the records held for sorting reach
 * {@link SortOptions#buffer()} (this file's and those of sorted files still waiting in memory for
 * the merge), the buffer is sorted and spilled to disk as a run ({@link SortRun}), and at the end
 * the runs are merged by a priority queue (in several passes when there are more than
 * {@link ExportSorter#fanIn()} of them). A file that fits is sorted in memory and never touches the
 * disk, unless a later file needs the room: then its records still to merge are spilled.
 *
 * <p>The order is (event time, row key, position in the file): total, so the same rows give the
 * same sequence whatever their order in the file and whatever the buffer size. Rejected lines
 * become dead letters while the file is read, with their line number and the event time of the
 * record read before them in the file, exactly as when the file is streamed.
 */
final class SortedSource implements RecordSource {
    private final String file;
    private final int index;
    private final TraceFormat format;
    private final List<Path> runFiles;
    private final ExportSorter sorter;
    private SortRun.Cursor cursor;
    private SortRun.InMemory resident;
    private boolean closed;

    private SortedSource(final String file, final int index, final TraceFormat format, final List<Path> runFiles,
            final ExportSorter sorter) {
        this.file = file;
        this.index = index;
        this.format = format;
        this.runFiles = runFiles;
        this.sorter = sorter;
    }

    /** Reads all of {@code source} (switched to file order here), sorts it, and closes it. */
    static SortedSource sort(final TraceSource source, final ExportSorter sorter) {
        source.inFileOrder();
        final SortedSource sorted = new SortedSource(source.file(), source.index(), source.format(), new ArrayList<>(), sorter);
        try {
            sorted.read(source);
            return sorted;
        } catch (final IOException | RuntimeException e) {
            sorted.runFiles.forEach(ExportSorter::delete);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("sorting " + sorted.file + " failed: " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    private void read(final TraceSource source) throws IOException {
        final long started = System.nanoTime();
        final List<SourcedTrace> buffer = new ArrayList<>(Math.min(sorter.bufferSize(), 64 * 1024));
        long records = 0;
        long spilledBytes = 0;
        try (source) {
            SourcedTrace t;
            while ((t = source.next()) != null) {
                if (buffer.size() >= sorter.room()) {
                    // the buffer shares its budget with the sorted files waiting in memory: theirs goes to disk first
                    while (buffer.size() >= sorter.room() && sorter.evictResident()) {
                        // evicted one
                    }
                    if (buffer.size() >= sorter.room()) {
                        spilledBytes += spill(buffer);
                    }
                }
                buffer.add(t);
                sorter.held(buffer.size());
                records++;
                if ((records & 0x3ff) == 0) {
                    sorter.progress(file, records, runFiles.size(), false);
                }
            }
        }
        buffer.sort(null);
        final int spilled;
        if (runFiles.isEmpty()) {
            spilled = 0;
            resident = new SortRun.InMemory(buffer);
            cursor = resident;
            sorter.hold(this, buffer.size());
        } else {
            if (!buffer.isEmpty()) {
                spilledBytes += spill(buffer);
            }
            spilled = runFiles.size();
            spilledBytes += sorter.reduce(runFiles, index, format);
            cursor = openRuns();
        }
        sorter.progress(file, records, spilled, true);
        sorter.sorted(file, records, spilled, spilledBytes, System.nanoTime() - started);
    }

    private long spill(final List<SourcedTrace> buffer) throws IOException {
        buffer.sort(null);
        final Path run = sorter.newRun(index);
        runFiles.add(run);
        final long bytes = SortRun.write(run, buffer);
        buffer.clear();
        return bytes;
    }

    /** Records this file keeps in memory for the merge (0 once spilled or read). */
    long resident() {
        return resident == null ? 0 : resident.remaining();
    }

    /**
     * Moves the records still to merge from memory to a run on disk, to make room for another
     * file's sort; returns the bytes written.
     */
    long evict() throws IOException {
        if (resident == null) {
            return 0;
        }
        final Path run = sorter.newRun(index);
        runFiles.add(run);
        final long bytes = resident.spill(run);
        resident = null;
        cursor = SortRun.read(run, index, format);
        return bytes;
    }

    private SortRun.Cursor openRuns() throws IOException {
        final List<SortRun.Cursor> cursors = new ArrayList<>(runFiles.size());
        try {
            for (final Path run : runFiles) {
                cursors.add(SortRun.read(run, index, format));
            }
            return SortRun.merge(cursors);
        } catch (final IOException | RuntimeException e) {
            SortRun.closeAll(cursors, e);
            throw e;
        }
    }

    @Override
    public SourcedTrace next() {
        try {
            final SourcedTrace next = cursor.next();
            if (resident != null) {
                sorter.release(next == null ? 0 : 1);
                if (next == null) {
                    sorter.forget(this);
                    resident = null;
                }
            }
            return next;
        } catch (final IOException e) {
            throw new UncheckedIOException("reading back the sorted runs of " + file + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (resident != null) {
                sorter.release(resident.remaining());
                sorter.forget(this);
                resident = null;
            }
            if (cursor != null) {
                cursor.close();
            }
        } finally {
            runFiles.forEach(ExportSorter::delete);
        }
    }

    /**
     * What orders records of the same event time in a sorted file: first the event type in the order
     * of the {@code EventType} schema, which is the order of a message's life (RECEIVE, SUBMIT, SEND,
     * DELIVER, DEFER, FAIL, EXPIRE, DSN, ...: an export with whole-second times often has a
     * message's Receive and Deliver in the same second, newest first), then the hash of the row's
     * text. Always at least 0 (streamed records have 0).
     */
    static long tieKey(final io.mailflow.avro.EventType type, final long rowHash) {
        return ((long) type.ordinal() << 58) | (rowHash >>> 6);
    }

    /**
     * A 64-bit hash of a row's text ({@link TextHash}): rows of the same time and event type come
     * out in an order that depends on what they say, not where they stand. Equal rows get equal
     * keys, so they fall back to input order and position; different rows collide with a chance of
     * about 2^-58.
     */
    static long rowKey(final String raw) {
        return raw == null ? 0 : TextHash.of(raw);
    }
}
