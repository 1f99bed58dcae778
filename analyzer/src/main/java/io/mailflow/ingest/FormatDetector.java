package io.mailflow.ingest;

import java.util.List;
import java.util.regex.Matcher;

/** Recognises a trace format from the first lines of a file (content, never the file name). */
final class FormatDetector {
    /** How much of a file the detector looks at. */
    static final int HEAD_BYTES = 256 * 1024;

    private FormatDetector() {
    }

    /** The format, or null when the head matches none. */
    static TraceFormat detect(final String head) {
        if (head.indexOf('\0') >= 0) {
            return null;
        }
        final String text = head.startsWith("\uFEFF") ? head.substring(1) : head;
        final String[] lines = text.split("\r\n|\n|\r", 2001);
        String first = null;
        for (final String line : lines) {
            if (line.startsWith("#Software: Microsoft Exchange")
                    || (line.startsWith("#Fields:") && line.contains("event-id"))) {
                return TraceFormat.EXCHANGE_MSGTRK;
            }
            if (first == null && !line.isBlank() && !line.startsWith("#")) {
                first = line.trim();
            }
        }
        if (first == null) {
            return null;
        }
        if (first.startsWith("{") || first.startsWith("[")) {
            if (first.startsWith("{") && first.contains("\"eventType\"") && first.contains("\"eventTime\"")) {
                return TraceFormat.JSONL;
            }
            if (text.contains("\"MessageTraceId\"") || text.contains("odata.metadata")
                    || (text.contains("\"RecipientAddress\"") && text.contains("\"Received\""))) {
                return TraceFormat.EXCHANGE_ONLINE_JSON;
            }
            return null;
        }
        final TraceFormat csv = csvHeader(first);
        if (csv != null) {
            return csv;
        }
        for (final String line : lines) {
            if (isPostfixLine(line)) {
                return TraceFormat.POSTFIX;
            }
        }
        return null;
    }

    private static TraceFormat csvHeader(final String first) {
        if (first.indexOf(',') < 0) {
            return null;
        }
        final List<String> names = CsvLine.split(first);
        if (names == null) {
            return null;
        }
        final ExchangeColumns exchange = ExchangeColumns.of(names);
        if ((exchange.usable() || exchange.enhancedSummary()) && names.stream().anyMatch(n -> n.contains("_") || n.contains("-"))) {
            return TraceFormat.EXCHANGE_ONLINE_CSV;
        }
        final List<String> compact = names.stream()
                .map(n -> n.trim().toLowerCase(java.util.Locale.ROOT).replace("_", "").replace(" ", ""))
                .toList();
        if (compact.contains("event") && compact.contains("date")
                && (compact.contains("detail") || compact.contains("action"))) {
            return TraceFormat.EXCHANGE_ONLINE_DETAIL;
        }
        if (compact.contains("received") && compact.contains("status") && compact.contains("recipientaddress")) {
            return TraceFormat.EXCHANGE_ONLINE_SUMMARY;
        }
        return null;
    }

    static boolean isPostfixLine(final String line) {
        final Matcher classic = PostfixLogParser.CLASSIC.matcher(line);
        if (classic.matches()) {
            return classic.group(8).startsWith("postfix");
        }
        final Matcher iso = PostfixLogParser.RFC3339.matcher(line);
        return iso.matches() && iso.group(4).startsWith("postfix");
    }
}
