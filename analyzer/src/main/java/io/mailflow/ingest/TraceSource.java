package io.mailflow.ingest;

import io.mailflow.avro.MessageTrace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One input file as a stream of records in (nearly) event-time order. Lines within one file can
 * be slightly out of order (Postfix processes log concurrently, Exchange flushes per thread), so
 * records pass through a small reorder buffer: a record leaves only when the buffer holds more
 * than {@code reorderWindow} records, and then the earliest leaves first. A record later than
 * the window still comes out, after its successors, and is counted as out of order (and the
 * first such record of a file is logged with a hint to replay with {@code --sort}).
 *
 * <p><b>Dead letters are stamped from the input.</b> A rejected line gets the event time of the
 * last good line read before it in the same file. Lines rejected before the file's first good
 * line are held back until that line is read and get its time; a file with no good line at all
 * gives them epoch 0 (1970-01-01T00:00:00Z). Never the wall clock, so two replays of the same
 * input write the same dead letters (see docs/ingest-formats.md, "Dead letters").
 *
 * <p>{@link #inFileOrder()} turns the buffer off for a {@link SortedSource}, which sorts all of
 * the file itself: records then come out in file order, each with the key of its row.
 */
final class TraceSource implements RecordSource {
    private static final Logger LOG = LoggerFactory.getLogger(TraceSource.class);
    private final int index;
    private final String file;
    private final TraceFormat format;
    private final UnitReader reader;
    private final int reorderWindow;
    private final ReplayStats stats;
    private final Consumer<Rejection> rejections;
    private final PriorityQueue<SourcedTrace> buffer = new PriorityQueue<>();
    private final Unit unit = new Unit();
    private long seq;
    private long lastEmitted = Long.MIN_VALUE;
    private long lastEventTime = -1;
    /** Lines rejected before the file's first good line: they wait for its event time. */
    private final List<Rejection> beforeFirstRecord = new ArrayList<>();
    private boolean eof;
    private boolean fileOrder;
    /** The machine's clock when the file was opened: what {@link FutureEventTime} compares with. */
    private final long openedAt = System.currentTimeMillis();

    TraceSource(final int index, final String file, final TraceFormat format, final UnitReader reader,
            final int reorderWindow, final ReplayStats stats, final Consumer<Rejection> rejections) {
        this.index = index;
        this.file = file;
        this.format = format;
        this.reader = reader;
        this.reorderWindow = Math.max(1, reorderWindow);
        this.stats = stats;
        this.rejections = rejections;
    }

    @Override
    public String file() {
        return file;
    }

    TraceFormat format() {
        return format;
    }

    int index() {
        return index;
    }

    /**
     * Hands out the records in the order of the file, with no reorder buffer and nothing counted
     * as out of order, each with its row's key: the input of a {@link SortedSource}. Call before
     * the first {@link #next()}.
     */
    TraceSource inFileOrder() {
        fileOrder = true;
        return this;
    }

    /** The next record of this file, or null when the file is exhausted. */
    @Override
    public SourcedTrace next() {
        final int window = fileOrder ? 0 : reorderWindow;
        try {
            while (!eof && buffer.size() <= window) {
                if (!reader.next(unit)) {
                    eof = true;
                }
            }
        } catch (final IOException | UncheckedIOException e) {
            // a truncated gzip or an I/O error ends this file, not the replay
            eof = true;
            unit.begin(unit.line + 1, "");
            unit.reject("file unreadable after this point: " + e.getMessage());
        }
        if (eof) {
            releaseHeldRejections(NO_EVENT_TIME);
        }
        final SourcedTrace next = buffer.poll();
        if (next != null && !fileOrder) {
            if (next.eventTime() < lastEmitted) {
                if (stats.outOfOrder(file) == 1) {
                    LOG.warn("{}: records out of event-time order beyond the reorder window of {} records (first: line {} at {},"
                            + " after a record at {}); this file is streamed, so the analysis sees event time go back."
                            + " Replay with --sort to sort every file before the merge", file, reorderWindow,
                            next.trace().getProvenance().getLine(), next.trace().getEventTime(),
                            java.time.Instant.ofEpochMilli(lastEmitted));
                }
            } else {
                lastEmitted = next.eventTime();
            }
        }
        return next;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }

    /** Event time of dead letters from a file that had no good line at all: the epoch. */
    static final long NO_EVENT_TIME = 0L;

    /** Sends the rejections held for lack of an event time, stamped with the given one, in file order. */
    private void releaseHeldRejections(final long eventTime) {
        for (final Rejection held : beforeFirstRecord) {
            rejections.accept(new Rejection(held.file(), held.line(), held.reason(), held.raw(), eventTime));
        }
        beforeFirstRecord.clear();
    }

    /** The unit (line or JSON object) being parsed; parsers report into it. */
    final class Unit implements ParseOutput {
        private long line;
        private String raw;
        private long rowKey;
        private boolean rowKeyKnown;

        void begin(final long lineNumber, final String rawText) {
            this.line = lineNumber;
            this.raw = rawText;
            this.rowKeyKnown = false;
        }

        @Override
        public void record(final MessageTrace trace) {
            final long time = trace.getEventTime().toEpochMilli();
            final String tooLate = FutureEventTime.rejection(time, openedAt);
            if (tooLate != null) {
                reject(tooLate);
                return;
            }
            if (lastEventTime < 0) {
                releaseHeldRejections(time);
            }
            lastEventTime = time;
            stats.parsed(file);
            buffer.add(new SourcedTrace(trace, time, index, seq++, format,
                    fileOrder ? SortedSource.tieKey(trace.getEventType(), rowKey()) : 0L));
        }

        private long rowKey() {
            if (!rowKeyKnown) {
                rowKey = SortedSource.rowKey(raw);
                rowKeyKnown = true;
            }
            return rowKey;
        }

        @Override
        public void skip(final String reason) {
            stats.skipped(reason);
        }

        @Override
        public void reject(final String reason) {
            stats.rejected(file, reason);
            if (lastEventTime < 0) {
                // no good line yet: the time of the first one to come (or the epoch), see the class doc
                beforeFirstRecord.add(new Rejection(file, line, reason, raw, NO_EVENT_TIME));
            } else {
                rejections.accept(new Rejection(file, line, reason, raw, lastEventTime));
            }
        }
    }
}
