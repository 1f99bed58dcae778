package io.mailflow.ingest;

import java.util.List;

/**
 * Exchange Server message tracking logs (MSGTRK*.LOG, 2010 to 2019): '#' header lines, then CSV
 * rows in the column order the latest {@code #Fields} header gives (a file may repeat headers
 * when the service restarts).
 */
final class ExchangeTrackingLogParser implements LineParser {
    private final ExchangeRowMapper mapper;
    private ExchangeColumns columns;

    ExchangeTrackingLogParser(final String file) {
        this(file, null);
    }

    /**
     * A parser that continues after the {@code #Fields} header given (null: none yet). The
     * raw-lines processor keeps each host's and file's header in a state store and makes a parser
     * per line with it.
     */
    ExchangeTrackingLogParser(final String file, final ExchangeColumns columns) {
        this.mapper = new ExchangeRowMapper(TraceFormat.EXCHANGE_MSGTRK.id(), file, null);
        this.columns = columns;
    }

    /** The columns of the latest usable {@code #Fields} header read, or null. */
    ExchangeColumns columns() {
        return columns;
    }

    @Override
    public void parse(final String line, final long lineNumber, final ParseOutput out) {
        if (line.isBlank()) {
            out.skip("blank line");
            return;
        }
        if (line.startsWith("#")) {
            if (line.regionMatches(true, 0, "#Fields:", 0, 8)) {
                final List<String> names = CsvLine.split(line.substring(8).trim());
                final ExchangeColumns cols = names == null ? null : ExchangeColumns.of(names);
                if (cols == null || !cols.usable()) {
                    out.reject("#Fields header without date-time and event-id");
                    return;
                }
                columns = cols;
            }
            out.skip("header line");
            return;
        }
        if (columns == null) {
            out.reject("data line before any #Fields header");
            return;
        }
        final List<String> row = CsvLine.split(line);
        if (row == null) {
            out.reject("malformed CSV (unbalanced quotes)");
            return;
        }
        if (row.size() != columns.count) {
            out.reject(row.size() + " fields where #Fields declares " + columns.count);
            return;
        }
        mapper.map(columns, row, lineNumber, out);
    }
}
