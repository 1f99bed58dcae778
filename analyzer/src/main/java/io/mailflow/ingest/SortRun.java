package io.mailflow.ingest;

import io.mailflow.avro.MessageTrace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Sorted runs of one file's records, in memory or spilled to disk, read back one record at a time.
 *
 * <p>A spilled run is a plain sequence of entries, each the row key and the sequence number
 * (Avro longs, zig-zag varints) followed by the {@code MessageTrace} in Avro binary
 * ({@link SpecificDatumWriter}), provenance included; the event time is read back from the record.
 * No header, no schema, no compression: a run lives only for the replay that wrote it.
 */
final class SortRun {
    private static final EncoderFactory ENCODERS = new EncoderFactory().configureBufferSize(64 * 1024);
    private static final DecoderFactory DECODERS = new DecoderFactory().configureDecoderBufferSize(32 * 1024);

    private SortRun() {
    }

    /** Records in order, one at a time. */
    interface Cursor extends AutoCloseable {
        /** The next record, or null at the end of the run. */
        SourcedTrace next() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Writes the records, already in order, to {@code path}; returns the bytes written. */
    static long write(final Path path, final List<SourcedTrace> sorted) throws IOException {
        try (OutputStream out = Files.newOutputStream(path)) {
            final BinaryEncoder encoder = ENCODERS.binaryEncoder(out, null);
            final SpecificDatumWriter<MessageTrace> writer = new SpecificDatumWriter<>(MessageTrace.class);
            for (final SourcedTrace t : sorted) {
                write(t, encoder, writer);
            }
            encoder.flush();
        }
        return Files.size(path);
    }

    /** Drains {@code from} (in order) into {@code path}; returns the bytes written. */
    static long write(final Path path, final Cursor from) throws IOException {
        try (OutputStream out = Files.newOutputStream(path)) {
            final BinaryEncoder encoder = ENCODERS.binaryEncoder(out, null);
            final SpecificDatumWriter<MessageTrace> writer = new SpecificDatumWriter<>(MessageTrace.class);
            SourcedTrace t;
            while ((t = from.next()) != null) {
                write(t, encoder, writer);
            }
            encoder.flush();
        }
        return Files.size(path);
    }

    private static void write(final SourcedTrace t, final BinaryEncoder encoder, final SpecificDatumWriter<MessageTrace> writer)
            throws IOException {
        encoder.writeLong(t.rowKey());
        encoder.writeLong(t.seq());
        writer.write(t.trace(), encoder);
    }

    /** A spilled run, read back. */
    static Cursor read(final Path path, final int sourceIndex, final TraceFormat format) throws IOException {
        final InputStream in = Files.newInputStream(path);
        final BinaryDecoder decoder = DECODERS.binaryDecoder(in, null);
        final SpecificDatumReader<MessageTrace> reader = new SpecificDatumReader<>(MessageTrace.class);
        return new Cursor() {
            @Override
            public SourcedTrace next() throws IOException {
                if (decoder.isEnd()) {
                    return null;
                }
                final long rowKey = decoder.readLong();
                final long seq = decoder.readLong();
                final MessageTrace trace = reader.read(null, decoder);
                return new SourcedTrace(trace, trace.getEventTime().toEpochMilli(), sourceIndex, seq, format, rowKey);
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    /** A run kept in memory, already in order; its slots are cleared as it is read. */
    static final class InMemory implements Cursor {
        private final List<SourcedTrace> sorted;
        private int next;

        InMemory(final List<SourcedTrace> sorted) {
            this.sorted = sorted;
        }

        @Override
        public SourcedTrace next() {
            if (next >= sorted.size()) {
                return null;
            }
            final SourcedTrace t = sorted.get(next);
            sorted.set(next++, null);
            return t;
        }

        /** Records not read yet. */
        int remaining() {
            return sorted.size() - next;
        }

        /** Writes the records not read yet to {@code path} and forgets them; returns the bytes written. */
        long spill(final Path path) throws IOException {
            final long bytes = write(path, sorted.subList(next, sorted.size()));
            sorted.clear();
            next = 0;
            return bytes;
        }

        @Override
        public void close() {
            sorted.clear();
            next = 0;
        }
    }

    /** Merges runs of one file by (event time, row key, sequence): a priority queue of their heads. */
    static Cursor merge(final List<Cursor> runs) throws IOException {
        if (runs.size() == 1) {
            return runs.get(0);
        }
        record Head(SourcedTrace trace, Cursor run) implements Comparable<Head> {
            @Override
            public int compareTo(final Head o) {
                return trace.compareTo(o.trace);
            }
        }
        final PriorityQueue<Head> heads = new PriorityQueue<>(runs.size());
        for (final Cursor run : runs) {
            final SourcedTrace first = run.next();
            if (first != null) {
                heads.add(new Head(first, run));
            }
        }
        return new Cursor() {
            @Override
            public SourcedTrace next() throws IOException {
                final Head head = heads.poll();
                if (head == null) {
                    return null;
                }
                final SourcedTrace following = head.run().next();
                if (following != null) {
                    heads.add(new Head(following, head.run()));
                }
                return head.trace();
            }

            @Override
            public void close() throws IOException {
                IOException failure = null;
                for (final Cursor run : runs) {
                    try {
                        run.close();
                    } catch (final IOException e) {
                        failure = e;
                    }
                }
                if (failure != null) {
                    throw failure;
                }
            }
        };
    }

    /** Closes cursors after {@code failure}, keeping their own close errors as suppressed ones. */
    static void closeAll(final java.util.List<Cursor> cursors, final Throwable failure) {
        for (final Cursor c : cursors) {
            try {
                c.close();
            } catch (final IOException suppressed) {
                failure.addSuppressed(suppressed);
            }
        }
    }
}
