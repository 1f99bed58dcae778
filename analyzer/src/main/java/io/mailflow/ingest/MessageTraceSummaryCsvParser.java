package io.mailflow.ingest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * {@code Get-MessageTrace | Export-Csv} (also {@code Get-MessageTraceV2}): the header names the
 * result's properties ({@code Received, SenderAddress, RecipientAddress, Subject, Status, ToIP,
 * FromIP, Size, MessageId, MessageTraceId, ...}) in any order; each row is one recipient of one
 * message, mapped as the JSON form is ({@link MessageTraceSummaries}). A leading PowerShell
 * {@code #TYPE} line is skipped.
 */
final class MessageTraceSummaryCsvParser implements LineParser {
    private final String file;
    private List<String> header;

    MessageTraceSummaryCsvParser(final String file) {
        this.file = file;
    }

    @Override
    public void parse(final String line, final long lineNumber, final ParseOutput out) {
        if (line.isBlank()) {
            out.skip("blank line");
            return;
        }
        if (header == null && line.startsWith("#")) {
            out.skip("header line");
            return;
        }
        final List<String> row = CsvLine.split(line);
        if (row == null) {
            out.reject("malformed CSV (unbalanced quotes)");
            return;
        }
        if (header == null) {
            header = row.stream().map(String::trim).toList();
            out.skip("header line");
            return;
        }
        if (row.size() != header.size()) {
            out.reject(row.size() + " fields where the header has " + header.size());
            return;
        }
        final ObjectNode result = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < row.size(); i++) {
            result.put(header.get(i), row.get(i));
        }
        MessageTraceSummaries.map(result, TraceFormat.EXCHANGE_ONLINE_SUMMARY, file, lineNumber, out);
    }
}
