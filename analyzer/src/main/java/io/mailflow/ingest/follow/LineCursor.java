package io.mailflow.ingest.follow;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Cuts the content of one source into lines from a start offset on. A line ends at LF; a CR
 * before it is dropped (CRLF), as the replay's LineReader does. Unlike LineReader a lone CR does
 * not end a line: at the end of a growing file it could be the first half of a CRLF, and neither
 * Postfix nor Exchange writes bare CRs. A UTF-8 BOM at offset 0 is dropped (Exchange writes one);
 * bytes that are not UTF-8 become U+FFFD. A line longer than {@link #MAX_LINE_BYTES} is returned
 * in pieces of that size, so a file without line breaks cannot exhaust memory.
 *
 * <p>Bytes after the last complete line stay in the buffer (and are not consumed) until their
 * terminator arrives or {@link #rest()} takes them as the final line.
 */
final class LineCursor implements AutoCloseable {
    static final int MAX_LINE_BYTES = 1 << 20;
    private static final int CHUNK = 64 * 1024;

    /** A line's text and the content offset just after its terminator. */
    record Line(String text, long endOffset) {
    }

    private final ContentSource source;
    private byte[] buf = new byte[CHUNK];
    private int pos;
    private int end;
    /** Content offset of buf[pos]: the end of the last line returned. */
    private long start;
    /** Where the search for LF resumes, so a long partial line is not scanned again per read. */
    private int scanned;
    private long bytesRead;

    LineCursor(final ContentSource source, final long offset) {
        this.source = source;
        this.start = offset;
    }

    /** The next complete line, or null when only a partial line (or nothing) is there now. */
    Line next() throws IOException {
        while (true) {
            for (int i = Math.max(pos, scanned); i < end; i++) {
                if (buf[i] == '\n') {
                    final int textEnd = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
                    return take(textEnd, i + 1);
                }
            }
            scanned = end;
            if (end - pos >= MAX_LINE_BYTES) {
                return take(pos + MAX_LINE_BYTES, pos + MAX_LINE_BYTES);
            }
            if (!fill()) {
                return null;
            }
        }
    }

    /** The unterminated rest as the content's last line, or null when there is none. */
    Line rest() {
        if (end == pos) {
            return null;
        }
        final int textEnd = buf[end - 1] == '\r' ? end - 1 : end;
        return take(textEnd, end);
    }

    boolean hasPartialLine() {
        return end > pos;
    }

    /** Bytes read from the source since the last call (has the file grown?). */
    long takeBytesRead() {
        final long n = bytesRead;
        bytesRead = 0;
        return n;
    }

    ContentSource source() {
        return source;
    }

    /** Content offset up to which bytes were read from the source (consumed or buffered). */
    long readOffset() {
        return start + (end - pos);
    }

    private Line take(final int textEnd, final int lineEnd) {
        int from = pos;
        if (start == 0 && textEnd - from >= 3 && (buf[from] & 0xff) == 0xef && (buf[from + 1] & 0xff) == 0xbb
                && (buf[from + 2] & 0xff) == 0xbf) {
            from += 3;
        }
        final String text = new String(buf, from, textEnd - from, StandardCharsets.UTF_8);
        start += lineEnd - pos;
        pos = lineEnd;
        return new Line(text, start);
    }

    private boolean fill() throws IOException {
        if (pos > 0) {
            // move the partial line to the front
            System.arraycopy(buf, pos, buf, 0, end - pos);
            end -= pos;
            scanned = Math.max(0, scanned - pos);
            pos = 0;
        }
        if (end == buf.length) {
            buf = java.util.Arrays.copyOf(buf, buf.length * 2);
        }
        final int n = source.read(start + end, buf, end, buf.length - end);
        if (n <= 0) {
            return false;
        }
        end += n;
        bytesRead += n;
        return true;
    }

    @Override
    public void close() throws IOException {
        source.close();
    }
}
