package io.mailflow.ingest;

import java.util.ArrayList;
import java.util.List;

/**
 * One RFC 4180 record per line, read and written: fields separated by commas; a field that
 * starts with a double quote runs to the matching closing quote, may contain commas, and writes a
 * quote as two quotes. A record spread over several lines (a quoted line break) is not joined: the
 * line is rejected with its number, which keeps line numbers exact.
 *
 * <p>Hand-written rather than Apache Commons CSV: the formats are line-oriented (every line needs
 * its own number and raw text for dead letters), and building a commons-csv parser per line
 * allocates a reader and an 8 KiB buffer per line, which made it the largest cost of parsing a
 * tracking log (see ParseThroughput). The generator writes its tracking logs with {@link #format},
 * so what it quotes is exactly what {@link #split} unquotes.
 */
public final class CsvLine {
    private CsvLine() {
    }

    /**
     * The fields as one line (no line break), each quoted only when it has to be: when it holds a
     * comma, a double quote, CR or LF. A field with a line break makes a record {@link #split}
     * rejects, as it would in a real log.
     */
    public static String format(final List<String> fields) {
        final StringBuilder sb = new StringBuilder(fields.size() * 16);
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            final String field = fields.get(i) == null ? "" : fields.get(i);
            if (needsQuotes(field)) {
                sb.append('"').append(field.replace("\"", "\"\"")).append('"');
            } else {
                sb.append(field);
            }
        }
        return sb.toString();
    }

    private static boolean needsQuotes(final String field) {
        for (int i = 0; i < field.length(); i++) {
            final char c = field.charAt(i);
            if (c == ',' || c == '"' || c == '\r' || c == '\n') {
                return true;
            }
        }
        return false;
    }

    /** The fields of the line, or null when a quoted field is unterminated or followed by junk. */
    public static List<String> split(final String line) {
        final List<String> out = new ArrayList<>(32);
        final int n = line.length();
        int i = 0;
        while (true) {
            if (i < n && line.charAt(i) == '"') {
                final StringBuilder sb = new StringBuilder();
                int j = i + 1;
                while (true) {
                    final int q = line.indexOf('"', j);
                    if (q < 0) {
                        return null;
                    }
                    sb.append(line, j, q);
                    if (q + 1 < n && line.charAt(q + 1) == '"') {
                        sb.append('"');
                        j = q + 2;
                        continue;
                    }
                    i = q + 1;
                    break;
                }
                out.add(sb.toString());
                if (i == n) {
                    return out;
                }
                if (line.charAt(i) != ',') {
                    return null;
                }
                i++;
            } else {
                final int comma = line.indexOf(',', i);
                if (comma < 0) {
                    out.add(line.substring(i));
                    return out;
                }
                out.add(line.substring(i, comma));
                i = comma + 1;
            }
        }
    }
}
