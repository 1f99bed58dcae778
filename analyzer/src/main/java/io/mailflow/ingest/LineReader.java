package io.mailflow.ingest;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads lines ending in LF, CRLF or CR, drops a leading UTF-8 BOM and bounds each line, so a
 * binary file or a log without line breaks cannot exhaust memory: a line longer than the bound is
 * returned cut, with {@link #lastLineTruncated()} set, and the parser rejects it.
 */
final class LineReader implements AutoCloseable {
    static final int DEFAULT_MAX_LINE_CHARS = 1 << 20;

    private final Reader in;
    private final int maxLineChars;
    private final char[] buf = new char[16 * 1024];
    private int pos;
    private int end;
    private boolean eof;
    private boolean first = true;
    private boolean truncated;
    private long lineNumber;

    LineReader(final Reader in) {
        this(in, DEFAULT_MAX_LINE_CHARS);
    }

    LineReader(final Reader in, final int maxLineChars) {
        this.in = in;
        this.maxLineChars = maxLineChars;
    }

    /** The next line without its terminator, or null at end of input. */
    String readLine() throws IOException {
        truncated = false;
        final StringBuilder sb = new StringBuilder(256);
        boolean any = false;
        while (true) {
            if (pos >= end && !fill()) {
                if (!any) {
                    return null;
                }
                break;
            }
            any = true;
            final int start = pos;
            while (pos < end) {
                final char c = buf[pos];
                if (c == '\n' || c == '\r') {
                    append(sb, start, pos);
                    pos++;
                    if (c == '\r') {
                        if (pos >= end) {
                            fill();
                        }
                        if (pos < end && buf[pos] == '\n') {
                            pos++;
                        }
                    }
                    return finish(sb);
                }
                pos++;
            }
            append(sb, start, pos);
        }
        return finish(sb);
    }

    boolean lastLineTruncated() {
        return truncated;
    }

    /** 1-based number of the line last returned. */
    long lineNumber() {
        return lineNumber;
    }

    private String finish(final StringBuilder sb) {
        lineNumber++;
        if (first) {
            first = false;
            if (sb.length() > 0 && sb.charAt(0) == '\uFEFF') {
                sb.deleteCharAt(0);
            }
        }
        return sb.toString();
    }

    private void append(final StringBuilder sb, final int from, final int to) {
        final int room = maxLineChars - sb.length();
        if (room <= 0) {
            truncated |= to > from;
            return;
        }
        final int n = Math.min(room, to - from);
        sb.append(buf, from, n);
        truncated |= n < to - from;
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        final int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            eof = true;
            pos = 0;
            end = 0;
            return false;
        }
        pos = 0;
        end = n;
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
