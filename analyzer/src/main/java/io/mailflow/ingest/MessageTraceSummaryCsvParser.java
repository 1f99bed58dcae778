package io.mailflow.ingest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * {@code Get-MessageTrace | Export-Csv}: the header names the result's properties
 * ({@code Received, SenderAddress, RecipientAddress, Subject, Status, ToIP, FromIP, Size,
 * MessageId, MessageTraceId, ...}) in any order; each row is one recipient of one message,
 * mapped as the JSON form is ({@link MessageTraceSummaries}). A leading PowerShell {@code #TYPE}
 * line is skipped.
 */
final class MessageTraceSummaryCsvParser extends CsvExportParser {
    private final String file;
    private final DateOrder dateOrder;
    private List<String> header;

    /** {@code dateOrder}: of the file's numeric dates, as Export-Csv wrote them; null = ISO only. */
    MessageTraceSummaryCsvParser(final String file, final DateOrder dateOrder) {
        this.file = file;
        this.dateOrder = dateOrder;
    }

    @Override
    String header(final List<String> names) {
        header = names.stream().map(String::trim).toList();
        return null;
    }

    @Override
    void row(final List<String> row, final long lineNumber, final ParseOutput out) {
        final ObjectNode result = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < row.size(); i++) {
            result.put(header.get(i), row.get(i));
        }
        MessageTraceSummaries.map(result, TraceFormat.EXCHANGE_ONLINE_SUMMARY, file, lineNumber, dateOrder, out);
    }
}
