package io.mailflow.ingest;

import java.util.List;

/**
 * The Exchange Online extended message trace report (historical search, CSV): the tracking-log
 * fields with underscored names ({@code date_time_utc} or {@code origin_timestamp},
 * {@code event_id}, {@code recipient_status}, ...). The first non-comment line is the header.
 */
final class ExchangeOnlineReportParser implements LineParser {
    private final ExchangeRowMapper mapper;
    private ExchangeColumns columns;

    ExchangeOnlineReportParser(final String file) {
        this.mapper = new ExchangeRowMapper(TraceFormat.EXCHANGE_ONLINE_CSV.id(), file);
    }

    @Override
    public void parse(final String line, final long lineNumber, final ParseOutput out) {
        if (line.isBlank()) {
            out.skip("blank line");
            return;
        }
        if (columns == null && line.startsWith("#")) {
            out.skip("header line");
            return;
        }
        final List<String> row = CsvLine.split(line);
        if (row == null) {
            out.reject("malformed CSV (unbalanced quotes)");
            return;
        }
        if (columns == null) {
            final ExchangeColumns cols = ExchangeColumns.of(row);
            if (!cols.usable()) {
                out.reject("header without event_id and date_time_utc/origin_timestamp");
                return;
            }
            columns = cols;
            out.skip("header line");
            return;
        }
        if (row.size() != columns.count) {
            out.reject(row.size() + " fields where the header has " + columns.count);
            return;
        }
        mapper.map(columns, row, lineNumber, out);
    }
}
