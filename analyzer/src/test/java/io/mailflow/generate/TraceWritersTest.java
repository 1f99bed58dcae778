package io.mailflow.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.ingest.CsvLine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceWritersTest {
    /** The CSV records of a tracking log's body, one per CRLF-ended line, as the ingest parser splits them. */
    private static List<List<String>> records(final String body) {
        final List<List<String>> records = new ArrayList<>();
        for (final String line : body.split("\r\n")) {
            final List<String> fields = CsvLine.split(line);
            assertTrue(fields != null, () -> "well-formed CSV: " + line);
            records.add(fields);
        }
        return records;
    }

    /** Two hours with an outage, permanent failures and multi-recipient messages: every kind of line. */
    private static GeneratorSettings.Builder busy() {
        return GeneratorSettings.builder().seed(11).duration(Duration.ofHours(2)).permanentRate(0.02).sporadicRate(0.01)
            .connectors(ConnectorProfile.parseList("internet:20,partner-contoso:10,mailbox:20"))
            .outage(Outage.parse("partner-contoso:4.4.316:30m@+20m"));
    }

    @Test
    @DisplayName("Exchange tracking log: the 2013+ header, 30 CSV fields per line, CRLF, one file per server")
    void exchangeLogIsWellFormed(@TempDir final Path dir) throws Exception {
        final CollectingSink all = new CollectingSink();
        final GeneratorSettings settings = busy().servers(List.of("EX01", "EX02")).build();
        try (ExchangeTrackingLogWriter writer = ExchangeTrackingLogWriter.toDirectory(dir, true, settings.start())) {
            new TrafficGenerator(settings).generate(new Tee(writer, all));
        }
        final Path ex01 = dir.resolve("EX01/MSGTRK2026030208-1.LOG");
        final Path ex02 = dir.resolve("EX02/MSGTRK2026030208-1.LOG");
        assertTrue(Files.exists(ex01) && Files.exists(ex02), "one log per server");

        long recipientsOnLines = 0;
        for (final Path log : List.of(ex01, ex02)) {
            final String text = Files.readString(log, StandardCharsets.UTF_8);
            assertFalse(text.replace("\r\n", "").contains("\n"), "every line ends in CRLF");
            final List<String> lines = List.of(text.split("\r\n"));
            assertTrue(lines.get(0).equals("#Software: Microsoft Exchange Server"));
            assertTrue(lines.get(1).startsWith("#Version: 15."));
            assertEquals("#Log-type: Message Tracking Log", lines.get(2));
            Instant.parse(lines.get(3).substring("#Date: ".length()));
            final List<String> fields = List.of(lines.get(4).substring("#Fields: ".length()).split(","));
            assertEquals(30, fields.size());
            assertEquals(ExchangeTrackingLogWriter.FIELDS, fields);

            final String server = log.getParent().getFileName().toString();
            int number = 5;
            for (final List<String> line : records(String.join("\r\n", lines.subList(5, lines.size())))) {
                number++;
                assertEquals(30, line.size(), "line " + number + " of " + log);
                Instant.parse(line.get(fields.indexOf("date-time")));
                final String[] recipients = line.get(fields.indexOf("recipient-address")).split(";");
                assertEquals(recipients.length, Integer.parseInt(line.get(fields.indexOf("recipient-count"))));
                final String status = line.get(fields.indexOf("recipient-status"));
                if (!status.isEmpty() && recipients.length > 1) {
                    assertEquals(recipients.length, status.split(";", -1).length, "one status per recipient: " + status);
                }
                final String event = line.get(fields.indexOf("event-id"));
                final String logged = line.get(fields.indexOf(event.equals("RECEIVE") || event.equals("DELIVER") ? "server-hostname" : "client-hostname"));
                assertEquals(server + ".example.com", logged, "each server's log holds its own events");
                recipientsOnLines += recipients.length;
            }
        }
        assertEquals(all.traces.size(), recipientsOnLines, "every record is on some line, multi-recipient lines ;-joined");
        assertTrue(all.traces.size() > recipientsOnLines / 2);
    }

    @Test
    @DisplayName("Exchange CSV quoting round-trips: subjects with commas and quotes and ;-joined statuses read back as written")
    void exchangeCsvRoundTrip() throws Exception {
        final CollectingSink all = new CollectingSink();
        final StringWriter out = new StringWriter();
        try (ExchangeTrackingLogWriter writer = new ExchangeTrackingLogWriter(server -> out)) {
            new TrafficGenerator(busy().build()).generate(new Tee(writer, all));
        }
        final String text = out.toString();
        final List<String> fields = ExchangeTrackingLogWriter.FIELDS;
        final Iterator<MessageTrace> expected = all.traces.iterator();
        boolean sawQuotedSubject = false;
        boolean sawMultiRecipientDeferral = false;
        for (final List<String> line : records(text.substring(text.indexOf("\r\n", text.indexOf("#Fields")) + 2))) {
            final String[] recipients = line.get(fields.indexOf("recipient-address")).split(";");
            final String status = line.get(fields.indexOf("recipient-status"));
            // Exchange's own texts may hold ';' (RESOLVER.ADR.RecipNotFound; not found): only shared lines are split
            final String[] statuses = status.isEmpty() ? null : recipients.length == 1 ? new String[] {status} : status.split(";");
            for (int i = 0; i < recipients.length; i++) {
                final MessageTrace t = expected.next();
                assertEquals(t.getRecipient(), recipients[i]);
                assertEquals(t.getSubject(), line.get(fields.indexOf("message-subject")));
                assertEquals(t.getNetworkMessageId(), line.get(fields.indexOf("network-message-id")));
                assertEquals(t.getEventTime().toString(), line.get(fields.indexOf("date-time")));
                if (statuses != null) {
                    assertEquals(t.getResponseText(), statuses[i]);
                }
            }
            sawQuotedSubject |= line.get(fields.indexOf("message-subject")).contains(", \"");
            sawMultiRecipientDeferral |= recipients.length > 1 && "DEFER".equals(line.get(fields.indexOf("event-id")));
        }
        assertFalse(expected.hasNext(), "all records written");
        assertTrue(sawQuotedSubject, "the subject with a comma and quotes was written and read back");
        assertTrue(sawMultiRecipientDeferral);
    }

    private static final Pattern SYSLOG = Pattern.compile(
        "^(\\S+) (\\S+) postfix/(smtpd|cleanup|qmgr|smtp|local)\\[(\\d+)\\]: ([0-9A-F]{10}): (.*)$");
    private static final Pattern DELIVERY = Pattern.compile(
        "^to=<[^>]+>, relay=(none|local|[^\\s\\[]+\\[[0-9.]+\\]:25), delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, "
            + "dsn=[245]\\.\\d\\.\\d+, status=(sent|deferred|bounced) \\((.+)\\)$");
    private static final Pattern QMGR = Pattern.compile(
        "^(from=<[^>]*>, size=\\d+, nrcpt=\\d+ \\(queue active\\)|from=<[^>]*>, status=expired, returned to sender|removed)$");

    @Test
    @DisplayName("Postfix lines follow the documented syslog patterns for smtpd, cleanup, qmgr, smtp and local")
    void postfixLinesMatchThePattern() throws Exception {
        final StringWriter out = new StringWriter();
        final GeneratorSettings settings = busy().dialect(PostfixDialect.INSTANCE).expiry(Duration.ofMinutes(50))
            .outages(List.of(Outage.parse("partner-contoso:4.4.316:90m@+20m"))).build();
        try (PostfixSyslogWriter writer = new PostfixSyslogWriter(out, PostfixSyslogWriter.TimestampStyle.RFC3339)) {
            new TrafficGenerator(settings).generate(writer);
        }
        final Set<String> statuses = new HashSet<>();
        final Set<String> daemons = new HashSet<>();
        final List<String> lines = out.toString().lines().toList();
        assertTrue(lines.size() > 1000);
        for (final String line : lines) {
            final Matcher m = SYSLOG.matcher(line);
            assertTrue(m.matches(), line);
            OffsetDateTime.parse(m.group(1));
            daemons.add(m.group(3));
            final String rest = m.group(6);
            switch (m.group(3)) {
                case "smtpd" -> assertTrue(rest.matches("client=[^\\[]+\\[[0-9.]+\\]"), line);
                case "cleanup" -> assertTrue(rest.matches("message-id=<[^>]+>"), line);
                case "qmgr" -> assertTrue(QMGR.matcher(rest).matches(), line);
                default -> {
                    final Matcher d = DELIVERY.matcher(rest);
                    assertTrue(d.matches(), line);
                    statuses.add(d.group(2));
                    if (d.group(2).equals("deferred") && rest.contains("Connection refused")) {
                        assertEquals("none", d.group(1), "a refused connection has no relay");
                        assertTrue(rest.contains("dsn=4.4.1, status=deferred (connect to mail.contoso.com["), line);
                    }
                }
            }
        }
        assertEquals(Set.of("sent", "deferred", "bounced"), statuses);
        assertEquals(Set.of("smtpd", "cleanup", "qmgr", "smtp", "local"), daemons);
        assertTrue(lines.stream().anyMatch(l -> l.endsWith("status=expired, returned to sender")));
    }

    @Test
    @DisplayName("Postfix BSD time stamps look like classic syslog: 'Mar  2 08:00:00'")
    void postfixBsdTimestamps() throws Exception {
        final StringWriter out = new StringWriter();
        try (PostfixSyslogWriter writer = new PostfixSyslogWriter(out, PostfixSyslogWriter.TimestampStyle.BSD)) {
            new TrafficGenerator(busy().dialect(PostfixDialect.INSTANCE).duration(Duration.ofMinutes(5)).build()).generate(writer);
        }
        assertTrue(out.toString().lines().allMatch(l -> l.matches("^Mar  2 08:0\\d:\\d\\d mx1 postfix/\\w+\\[\\d+\\]: .*")));
    }

    @Test
    @DisplayName("JSON lines use the Avro field names in schema order (null fields left out), ISO-8601 UTC time stamps and enum symbols")
    void jsonLines() throws Exception {
        final CollectingSink all = new CollectingSink();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonLinesTraceWriter writer = new JsonLinesTraceWriter(out)) {
            new TrafficGenerator(busy().duration(Duration.ofMinutes(30)).build()).generate(new Tee(writer, all));
        }
        final ObjectMapper mapper = new ObjectMapper();
        final List<String> names = MessageTrace.getClassSchema().getFields().stream().map(Schema.Field::name).toList();
        final List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(all.traces.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            final JsonNode node = mapper.readTree(lines.get(i));
            final List<String> keys = new ArrayList<>();
            node.fieldNames().forEachRemaining(keys::add);
            assertEquals(names.stream().filter(keys::contains).toList(), keys, "Avro field names, in schema order");
            final MessageTrace t = all.traces.get(i);
            for (final Schema.Field field : MessageTrace.getClassSchema().getFields()) {
                assertEquals(t.get(field.pos()) != null, keys.contains(field.name()), field.name() + " is written exactly when it has a value");
            }
            assertEquals(t.getEventTime(), Instant.parse(node.get("eventTime").asText()));
            assertTrue(node.get("eventTime").asText().endsWith("Z"));
            assertEquals(t.getEventType(), EventType.valueOf(node.get("eventType").asText()));
            assertEquals(t.getDirection().name(), node.get("direction").asText());
            assertEquals("generator", node.get("provenance").get("format").asText());
            assertEquals(t.getSizeBytes().longValue(), node.get("sizeBytes").asLong());
        }
    }

    /** Sends every record to two sinks, so a test knows what the writer was given. */
    private record Tee(TraceOutput a, TraceOutput b) implements TraceOutput {
        @Override
        public void accept(final MessageTrace trace) throws IOException {
            a.accept(trace);
            b.accept(trace);
        }

        @Override
        public void close() {
        }
    }

}
