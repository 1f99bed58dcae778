package io.mailflow.ingest;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.generate.ExchangeTrackingLogWriter;
import io.mailflow.generate.GeneratorSettings;
import io.mailflow.generate.TraceOutput;
import io.mailflow.generate.TrafficGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Exchange Online exports written from generated traffic, for the sorting tests and benchmark (the
 * generator writes tracking logs, Postfix logs and JSON lines, not exports). Rows come in event-time
 * order; shuffle or reverse them to get what a download or a PowerShell export looks like.
 */
final class ExportRows {
    /** The extended report's header: the tracking-log fields with underscores, date_time_utc first. */
    static final String EXTENDED_HEADER = ExchangeTrackingLogWriter.FIELDS.stream()
            .map(f -> "\"" + (f.equals("date-time") ? "date_time_utc" : f.replace('-', '_')) + "\"")
            .reduce((a, b) -> a + "," + b).orElseThrow();
    static final String DETAIL_PREAMBLE = "#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTraceDetail";
    static final String DETAIL_HEADER = "\"Organization\",\"MessageId\",\"MessageTraceId\",\"Date\",\"Event\",\"Action\",\"Detail\","
            + "\"Data\",\"StartDate\",\"EndDate\",\"RecipientAddress\",\"SenderAddress\"";
    private static final DateTimeFormatter EN_US = DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private ExportRows() {
    }

    /** Six hours of two Exchange Online servers' traffic with three outages (the scenario the sorting specs replay). */
    static List<MessageTrace> sixHoursWithThreeOutages(final long seed) {
        return generate(GeneratorSettings.builder()
            .seed(seed)
            .duration(java.time.Duration.ofHours(6))
            .servers(List.of("EXO1", "EXO2"))
            .connectors(io.mailflow.generate.ConnectorProfile.parseList("internet:3,partner-contoso:2,partner-fabrikam:2,mailbox:4"))
            .outage(io.mailflow.generate.Outage.parse("partner-contoso:4.4.316:2h@+1h"))
            .outage(io.mailflow.generate.Outage.parse("partner-fabrikam:4.4.312:90m@+3h"))
            .outage(io.mailflow.generate.Outage.parse("internet:4.7.320:40m@+4h30m"))
            .build());
    }

    static List<MessageTrace> generate(final GeneratorSettings settings) {
        final List<MessageTrace> traces = new ArrayList<>();
        try (TraceOutput out = new TraceOutput() {
            @Override
            public void accept(final MessageTrace trace) {
                traces.add(trace);
            }

            @Override
            public void close() {
            }
        }) {
            new TrafficGenerator(settings).generate(out);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return traces;
    }

    /**
     * Extended-report data rows (no header) in event-time order: each server's tracking-log lines
     * as the generator writes them (recipients of one attempt on one row), merged by time.
     */
    static List<String> extendedReportRows(final List<MessageTrace> traces) {
        final Map<String, StringWriter> logs = new LinkedHashMap<>();
        try (ExchangeTrackingLogWriter writer = new ExchangeTrackingLogWriter(server -> logs.computeIfAbsent(server,
                s -> new StringWriter()))) {
            for (final MessageTrace t : traces) {
                writer.accept(t);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        final List<String> rows = new ArrayList<>();
        for (final StringWriter log : logs.values()) {
            for (final String line : log.toString().split("\r\n")) {
                if (!line.isEmpty() && !line.startsWith("#")) {
                    rows.add(line);
                }
            }
        }
        // stable: the lines of one server keep their order
        rows.sort(Comparator.comparing(r -> Instant.parse(r.substring(0, r.indexOf(',')))));
        return rows;
    }

    /**
     * {@code Get-MessageTraceDetail | Export-Csv} data rows (no header), one per record of the
     * delivery events, in event-time order, with the en-US dates PowerShell writes (whole
     * seconds: many rows share a time).
     */
    static List<String> detailRows(final List<MessageTrace> traces) {
        final List<String> rows = new ArrayList<>();
        for (final MessageTrace t : traces) {
            final String event = switch (t.getEventType()) {
                case RECEIVE -> "Receive";
                case SEND -> "Send external";
                case DELIVER -> "Deliver";
                case DEFER -> "Defer";
                case FAIL, EXPIRE -> "Fail";
                default -> null;
            };
            if (event == null || t.getRecipient() == null) {
                continue;
            }
            final String detail = t.getResponseText() != null ? t.getResponseText()
                    : t.getEventType() == EventType.EXPIRE ? "550 4.4.7 QUEUE.Expired; message expired" : "";
            final String data = t.getConnectorId() == null ? ""
                    : "<root><MEP Name=\"ConnectorId\" String=\"" + t.getConnectorId() + "\" /></root>";
            rows.add(CsvLine.format(List.of("contoso.onmicrosoft.com", nz(t.getMessageId()), nz(t.getNetworkMessageId()),
                    EN_US.format(t.getEventTime()), event, "", detail, data, "3/1/2026 12:00:00 AM", "3/9/2026 12:00:00 AM",
                    t.getRecipient(), nz(t.getSender()))));
        }
        return rows;
    }

    /** The rows in a random order (seeded). */
    static List<String> shuffled(final List<String> rows, final long seed) {
        final List<String> copy = new ArrayList<>(rows);
        Collections.shuffle(copy, new Random(seed));
        return copy;
    }

    /** The rows newest first, as Get-MessageTrace and Get-MessageTraceDetail return them. */
    static List<String> newestFirst(final List<String> rows) {
        final List<String> copy = new ArrayList<>(rows);
        Collections.reverse(copy);
        return copy;
    }

    /** A file's text: header lines, then rows, CRLF. */
    static String file(final List<String> header, final List<String> rows) {
        final StringBuilder sb = new StringBuilder();
        header.forEach(h -> sb.append(h).append("\r\n"));
        rows.forEach(r -> sb.append(r).append("\r\n"));
        return sb.toString();
    }

    private static String nz(final String s) {
        return s == null ? "" : s;
    }
}
