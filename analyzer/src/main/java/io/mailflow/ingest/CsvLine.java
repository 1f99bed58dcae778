package io.mailflow.ingest;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one line as an RFC 4180 record: fields separated by commas; a field that starts with a
 * double quote runs to the matching closing quote, may contain commas, and writes a quote as two
 * quotes. A record spread over several lines (a quoted line break) is not joined: the line is
 * rejected with its number, which keeps line numbers exact.
 *
 * <p>Hand-written rather than Apache Commons CSV: the formats are line-oriented (every line needs
 * its own number and raw text for dead letters), and building a commons-csv parser per line
 * allocates a reader and an 8 KiB buffer per line, which made it the largest cost of parsing a
 * tracking log (see ParseThroughput).
 */
final class CsvLine {
    private CsvLine() {
    }

    /** The fields of the line, or null when a quoted field is unterminated or followed by junk. */
    static List<String> split(final String line) {
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
