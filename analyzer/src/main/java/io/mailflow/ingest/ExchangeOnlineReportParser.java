package io.mailflow.ingest;

import java.util.List;

/**
 * The Exchange Online extended message trace report (historical search, CSV): the tracking-log
 * fields with underscored names ({@code date_time_utc} or {@code origin_timestamp},
 * {@code event_id}, {@code recipient_status}, ...). The first non-comment line is the header.
 * Also the enhanced summary report (no {@code event_id}; one row per message, each recipient's
 * status the list of its events): the last event of each recipient becomes its record, at
 * {@code origin_timestamp}.
 */
final class ExchangeOnlineReportParser extends CsvExportParser {
    private final ExchangeRowMapper mapper;
    private ExchangeColumns columns;

    /** {@code dateOrder}: of the file's numeric dates (date_time_utc is ISO in real downloads); null = ISO only. */
    ExchangeOnlineReportParser(final String file, final DateOrder dateOrder) {
        this.mapper = new ExchangeRowMapper(TraceFormat.EXCHANGE_ONLINE_CSV.id(), file, dateOrder);
    }

    @Override
    String header(final List<String> names) {
        final ExchangeColumns cols = ExchangeColumns.of(names);
        if (!cols.usable() && !cols.enhancedSummary()) {
            return "header without event_id (or recipient_status) and date_time_utc/origin_timestamp";
        }
        columns = cols;
        return null;
    }

    @Override
    void row(final List<String> row, final long lineNumber, final ParseOutput out) {
        mapper.map(columns, row, lineNumber, out);
    }
}
