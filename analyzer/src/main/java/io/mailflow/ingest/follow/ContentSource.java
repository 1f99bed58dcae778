package io.mailflow.ingest.follow;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.GZIPInputStream;

/**
 * The (decompressed) content of one open file, read at byte positions. A plain file is read
 * through one FileChannel kept open, so it can still be read after it was renamed or deleted;
 * a .gz is read as a stream from its start, which is fine because a .gz is read once.
 */
interface ContentSource extends AutoCloseable {
    /** Reads up to len bytes at position; -1 at the end of what the file holds now. */
    int read(long position, byte[] buf, int off, int len) throws IOException;

    /** Bytes the content holds now, or -1 when unknown (a .gz not read to its end). */
    long size() throws IOException;

    /**
     * Whether the content still starts with what {@code key} fingerprints and is not shorter than
     * {@code readUpTo}: false once the file was truncated (or rewritten) under the open handle.
     */
    boolean stillHolds(FileKey key, long readUpTo) throws IOException;

    /** The first min(size, 1024) bytes, read through this handle (a plain file's; a .gz has no size yet). */
    default byte[] head() throws IOException {
        final byte[] head = new byte[(int) Math.max(0, Math.min(size(), FileKey.FINGERPRINT_BYTES))];
        int n = 0;
        while (n < head.length) {
            final int r = read(n, head, n, head.length - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        return n == head.length ? head : java.util.Arrays.copyOf(head, n);
    }

    /** True once the content's end was reached and can never move (a .gz read to its end). */
    boolean complete();

    @Override
    void close() throws IOException;

    static ContentSource open(final Path path, final boolean gz) throws IOException {
        return gz ? new Gzip(path) : new Plain(FileChannel.open(path, StandardOpenOption.READ));
    }

    /** A plain file through its open channel. */
    final class Plain implements ContentSource {
        private final FileChannel channel;

        Plain(final FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read(final long position, final byte[] buf, final int off, final int len) throws IOException {
            return channel.read(ByteBuffer.wrap(buf, off, len), position);
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public boolean stillHolds(final FileKey key, final long readUpTo) throws IOException {
            if (channel.size() < readUpTo) {
                return false;
            }
            final byte[] head = new byte[key.fingerprintLength()];
            int n = 0;
            while (n < head.length) {
                final int r = channel.read(ByteBuffer.wrap(head, n, head.length - n), n);
                if (r < 0) {
                    return false;
                }
                n += r;
            }
            return key.fingerprintMatches(head);
        }

        @Override
        public boolean complete() {
            return false;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /**
     * A .gz. Reads must come in order (the cursor asks for the byte after the last one it got);
     * another position reopens and skips. A .gz that ends early (gzip still writing it) reads as
     * "nothing more now" and is reopened on the next read.
     */
    final class Gzip implements ContentSource {
        private final Path path;
        private InputStream in;
        private long position;
        private boolean complete;
        private long size = -1;

        Gzip(final Path path) throws IOException {
            this.path = path;
            try {
                reopen();
            } catch (final EOFException e) {
                // not even a whole header yet; the first read tries again
                closeStream();
            }
        }

        @Override
        public int read(final long at, final byte[] buf, final int off, final int len) throws IOException {
            if (complete && at >= size) {
                return -1;
            }
            try {
                if (in == null || at != position) {
                    reopen();
                    if (skip(at) < at) {
                        return end();
                    }
                }
                final int n = in.read(buf, off, len);
                if (n < 0) {
                    return end();
                }
                position += n;
                return n;
            } catch (final EOFException e) {
                // truncated .gz: gzip has not finished it yet
                closeStream();
                return -1;
            }
        }

        private int end() throws IOException {
            complete = true;
            size = position;
            closeStream();
            return -1;
        }

        private void reopen() throws IOException {
            closeStream();
            in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(path), 16 * 1024), 16 * 1024);
            position = 0;
        }

        /** Skips by reading and counting, since InputStream.skip may stop short before the end. */
        private long skip(final long n) throws IOException {
            final byte[] scratch = new byte[16 * 1024];
            while (position < n) {
                final int r = in.read(scratch, 0, (int) Math.min(scratch.length, n - position));
                if (r < 0) {
                    break;
                }
                position += r;
            }
            return position;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public boolean stillHolds(final FileKey key, final long readUpTo) {
            return true; // a .gz is written once and never changed in place
        }

        @Override
        public boolean complete() {
            return complete;
        }

        private void closeStream() throws IOException {
            if (in != null) {
                in.close();
                in = null;
            }
        }

        @Override
        public void close() throws IOException {
            closeStream();
        }
    }
}
