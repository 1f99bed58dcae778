package io.mailflow.ingest;

import java.util.List;

/**
 * The common front of the CSV exports (the Exchange Online extended report, Get-MessageTrace and
 * Get-MessageTraceDetail saved with Export-Csv): blank lines and the lines starting with '#'
 * before the header (PowerShell's {@code #TYPE}) are skipped, the first other row is the header,
 * and a row of another width than the header is a dead letter. Subclasses read the header and
 * map the rows.
 */
abstract class CsvExportParser implements LineParser {
    private int width = -1;

    @Override
    public final void parse(final String line, final long lineNumber, final ParseOutput out) {
        if (line.isBlank()) {
            out.skip("blank line");
            return;
        }
        if (width < 0 && line.startsWith("#")) {
            out.skip("header line");
            return;
        }
        final List<String> row = CsvLine.split(line);
        if (row == null) {
            out.reject("malformed CSV (unbalanced quotes)");
            return;
        }
        if (width < 0) {
            final String refused = header(row);
            if (refused != null) {
                out.reject(refused); // the next line is tried as the header again
                return;
            }
            width = row.size();
            out.skip("header line");
            return;
        }
        if (row.size() != width) {
            out.reject(row.size() + " fields where the header has " + width);
            return;
        }
        row(row, lineNumber, out);
    }

    /** Reads the column names; returns why they are no header of this format, or null. */
    abstract String header(List<String> names);

    /** Maps one data row, as wide as the header, to records, a skip or a rejection. */
    abstract void row(List<String> row, long lineNumber, ParseOutput out);
}
