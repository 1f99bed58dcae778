package io.mailflow.ingest;

import io.mailflow.avro.MessageTrace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * One input file as a stream of records in (nearly) event-time order. Lines within one file can
 * be slightly out of order (Postfix processes log concurrently, Exchange flushes per thread), so
 * records pass through a small reorder buffer: a record leaves only when the buffer holds more
 * than {@code reorderWindow} records, and then the earliest leaves first. A record later than
 * the window still comes out, after its successors, and is counted as out of order.
 */
final class TraceSource implements AutoCloseable {
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
    private boolean eof;

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

    String file() {
        return file;
    }

    TraceFormat format() {
        return format;
    }

    /** The next record of this file, or null when the file is exhausted. */
    SourcedTrace next() {
        try {
            while (!eof && buffer.size() <= reorderWindow) {
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
        final SourcedTrace next = buffer.poll();
        if (next != null) {
            if (next.eventTime() < lastEmitted) {
                stats.outOfOrder();
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

    /** The unit (line or JSON object) being parsed; parsers report into it. */
    final class Unit implements ParseOutput {
        private long line;
        private String raw;

        void begin(final long lineNumber, final String rawText) {
            this.line = lineNumber;
            this.raw = rawText;
        }

        @Override
        public void record(final MessageTrace trace) {
            final long time = trace.getEventTime().toEpochMilli();
            lastEventTime = time;
            buffer.add(new SourcedTrace(trace, time, index, seq++, format));
        }

        @Override
        public void skip(final String reason) {
            stats.skipped(reason);
        }

        @Override
        public void reject(final String reason) {
            stats.rejected(reason);
            rejections.accept(new Rejection(file, line, reason, raw,
                    lastEventTime >= 0 ? lastEventTime : System.currentTimeMillis()));
        }
    }
}
