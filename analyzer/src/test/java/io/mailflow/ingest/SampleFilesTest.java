package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Every file in the sample logs kept in this repository, {@code src/test/resources/samples} (real
 * lines from public repositories: SOURCES.md says from where, LICENSES.md carries their licences).
 * The expectations come from reading the lines: which are events, which are context or noise.
 */
@DisplayName("the public sample logs")
class SampleFilesTest {
    private static final Path DIR = Fixtures.samplesDir();

    private static Fixtures.Replayed replay(final String name, final int year) {
        return Fixtures.replay(Fixtures.options().withReferenceYear(year), DIR.resolve(name));
    }

    @Test
    @DisplayName("the test covers every file in the samples directory (SOURCES.md and LICENSES.md are not trace logs)")
    void everyFileIsCovered() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            assertEquals(List.of(
                    "LICENSES.md",
                    "SOURCES.md",
                    "exchange2010_msgtrk_beats_bom8.log",
                    "exchange2013_msgtrk_kinesis_agent_windows.log",
                    "exo_messagetrace_reportingwebservice_sumologic.json",
                    "postfix_kumina_postfix_exporter.log",
                    "postfix_msimerson_postfix_parser_fragments.tsv",
                    "postfix_msimerson_postfix_parser_syslog.log"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    @DisplayName("Exchange 2010 (beats): two NOTIFYMAPI events, quoted source-context with commas, 26 fields")
    void exchange2010Beats() {
        final Fixtures.Replayed r = replay("exchange2010_msgtrk_beats_bom8.log", 2016);
        assertEquals(TraceFormat.EXCHANGE_MSGTRK, r.summary().files().values().iterator().next());
        assertEquals(0, r.summary().records(), "NOTIFYMAPI is a store notification, not a delivery event");
        assertEquals(0, r.summary().rejected(), "the quoted source-context splits into exactly 26 fields");
        assertEquals(Map.of("header line", 5L, "exchange event NOTIFYMAPI (not a delivery event)", 2L),
                r.summary().skippedByReason());
    }

    @Test
    @DisplayName("Exchange 2013 (kinesis): AGENTINFO and HAREDIRECT, read by the 27-field #Fields order")
    void exchange2013Kinesis() {
        final Fixtures.Replayed r = replay("exchange2013_msgtrk_kinesis_agent_windows.log", 2017);
        assertEquals(0, r.summary().records());
        assertEquals(0, r.summary().rejected());
        assertEquals(Map.of(
                "header line", 5L,
                "exchange event AGENTINFO (not a delivery event)", 1L,
                "exchange event HAREDIRECT (not a delivery event)", 1L), r.summary().skippedByReason());
    }

    @Test
    @DisplayName("Exchange Online Reporting Web Service JSON: three delivered messages, merged by Received time")
    void exchangeOnlineJson() {
        final Fixtures.Replayed r = replay("exo_messagetrace_reportingwebservice_sumologic.json", 2022);
        assertEquals(TraceFormat.EXCHANGE_ONLINE_JSON, r.summary().files().values().iterator().next());
        assertEquals(3, r.summary().records());
        assertEquals(3L, r.summary().recordsOf(EventType.DELIVER));
        assertEquals(0, r.summary().rejected());
        final List<MessageTrace> traces = r.sink().traces();
        // Index 2 was received first (05:35:07.28), then index 1, then index 0
        assertEquals(List.of("sumo-apps@org.onmicrosoft.com", "lmilby@org.onmicrosoft.com", "ebenzoni@org.onmicrosoft.com"),
                traces.stream().map(MessageTrace::getRecipient).toList());
        final MessageTrace first = r.sink().atLine(4);
        // "2022-11-29T05:35:08.2652371" has no zone (UTC); eventTime is timestamp-millis
        assertEquals(Instant.parse("2022-11-29T05:35:08.265Z"), first.getEventTime());
        assertEquals("<233af449-87f6-4902-bcf5-77838a4e7603@az.southcentralus.unknown.microsoft.com>", first.getMessageId());
        assertEquals("aa1a3e28-8967-4bfb-06d3-08dad1cb7a0e", first.getNetworkMessageId());
        assertEquals("azure-noreply@microsoft.com", first.getSender());
        assertEquals("Azure AD Identity Protection Weekly Digest", first.getSubject());
        assertEquals(145153L, first.getSizeBytes());
        assertEquals("20.97.34.221", first.getRemoteIp(), "ToIP is null, FromIP is the only address");
        assertEquals("aa1a3e28-8967-4bfb-06d3-08dad1cb7a0e", r.sink().records.stream()
                .filter(k -> k.trace() == first).findFirst().orElseThrow().key());
        assertEquals(List.of(4L, 20L, 36L), traces.stream().map(t -> t.getProvenance().getLine()).sorted().toList());
    }

    @Test
    @DisplayName("Postfix (kumina exporter tests): 3 sent, 2 deferred, 1 bounced; removals, context, SASL warnings and TLS skipped")
    void postfixKumina() {
        final Fixtures.Replayed r = replay("postfix_kumina_postfix_exporter.log", 2020);
        assertEquals(6, r.summary().records());
        assertEquals(3L, r.summary().recordsOf(EventType.SEND));
        assertEquals(2L, r.summary().recordsOf(EventType.DEFER));
        assertEquals(1L, r.summary().recordsOf(EventType.FAIL));
        assertEquals(0, r.summary().rejected());
        assertEquals(new TreeMap<>(Map.of(
                "queue file removed", 31L,
                "message context (cleanup/qmgr/smtpd/pickup)", 9L,
                "warning", 3L,
                "TLS", 2L)), r.summary().skippedByReason());

        final MessageTrace telia = r.sink().atLine(46);
        assertEquals(Instant.parse("2020-02-24T16:18:40Z"), telia.getEventTime());
        assertEquals("smtp:mail.telia.com", telia.getConnectorId());
        assertEquals("81.236.60.210:25", telia.getRemoteIp());
        assertEquals("250", telia.getSmtpReply());

        final MessageTrace cut = r.sink().atLine(48);
        assertEquals("250 2.0.0 OK  1584148796 q7si7179", cut.getResponseText(), "a line cut before ')' keeps its text");

        final MessageTrace timedOut = r.sink().atLine(49);
        assertEquals(EventType.DEFER, timedOut.getEventType());
        assertEquals("smtp:icloud.se", timedOut.getConnectorId());
        assertEquals("17.253.142.4:25", timedOut.getRemoteIp());
        assertEquals("4.4.1", timedOut.getStatusCode());
        assertNull(timedOut.getSmtpReply());
        assertEquals("letterman/5BECF63C4A", r.sink().records.stream()
                .filter(k -> k.trace() == timedOut).findFirst().orElseThrow().key(), "no Message-ID seen: host/queue id");

        final MessageTrace bounced = r.sink().atLine(51);
        assertEquals(EventType.FAIL, bounced.getEventType());
        assertEquals("5.4.4", bounced.getStatusCode());
        assertEquals("smtp:hotmai.com", bounced.getConnectorId());
    }

    @Test
    @DisplayName("Postfix (msimerson syslog): the one delivery carries the Message-ID and null sender of its queue id")
    void postfixMsimersonSyslog() {
        final Fixtures.Replayed r = replay("postfix_msimerson_postfix_parser_syslog.log", 2015);
        assertEquals(1, r.summary().records());
        assertEquals(0, r.summary().rejected());
        assertEquals(new TreeMap<>(Map.of(
                "other program (not postfix)", 1L,
                "message context (cleanup/qmgr/smtpd/pickup)", 4L,
                "queue file removed", 1L,
                "smtpd connect/disconnect", 2L)), r.summary().skippedByReason());
        final MessageTrace sent = r.sink().atLine(4);
        assertEquals(EventType.SEND, sent.getEventType());
        assertEquals(Instant.parse("2015-07-05T06:52:11Z"), sent.getEventTime());
        assertEquals("<E1ZB06G-0006n5-Vp@anc-dev-web1.slc.example.net>", sent.getMessageId());
        assertEquals("", sent.getSender(), "from=<> is the null sender of a bounce");
        assertEquals(2666L, sent.getSizeBytes());
        assertEquals("smtp:10.2.2.85", sent.getConnectorId());
        assertEquals("10.2.2.85:2527", sent.getRemoteIp());
        assertEquals("3mPVKl0Mhjz7sXv", sent.getInternalMessageId());
    }

    @Test
    @DisplayName("Postfix fragments (msimerson): every message part is an event, a counted skip, never a rejection")
    void postfixFragments() throws IOException {
        final PostfixLogParser parser = new PostfixLogParser("fragments", 2015, ZonedDateTime.now(ZoneOffset.UTC), ZoneOffset.UTC, 1000);
        final Map<Long, MessageTrace> records = new TreeMap<>();
        final Map<String, Long> skipped = new TreeMap<>();
        final List<String> rejected = new ArrayList<>();
        final List<String> lines = Files.readAllLines(DIR.resolve("postfix_msimerson_postfix_parser_fragments.tsv"), StandardCharsets.UTF_8);
        for (int i = 1; i < lines.size(); i++) {
            final long lineNumber = i + 1;
            final String[] cols = lines.get(i).split("\t", 2);
            parser.parseMessage(Instant.parse("2015-07-05T00:00:00Z").plusSeconds(i), "fragments", cols[0], cols[1], lineNumber,
                    new ParseOutput() {
                        @Override
                        public void record(final MessageTrace trace) {
                            records.put(lineNumber, trace);
                        }

                        @Override
                        public void skip(final String reason) {
                            skipped.merge(reason, 1L, Long::sum);
                        }

                        @Override
                        public void reject(final String reason) {
                            rejected.add(lineNumber + ": " + reason);
                        }
                    });
        }
        assertEquals(List.of(), rejected);
        assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L, 27L, 29L, 30L, 31L, 35L), List.copyOf(records.keySet()));
        assertEquals(29L, skipped.values().stream().mapToLong(Long::longValue).sum());
        assertEquals(10L, skipped.get("smtp session notice (reported again on the recipient's delivery line)"),
                "lines 8-12 and 17-21: connect to / PIX / TLS start / lost connection / host said / refused / timed out");
        assertEquals(1L, skipped.get("TLS"), "line 13: SSL_connect error");
        assertEquals(5L, skipped.get("warning"));

        assertEquals(EventType.FAIL, records.get(3L).getEventType());
        assertEquals("550", records.get(3L).getSmtpReply());
        assertEquals("5.7.1", records.get(3L).getStatusCode());
        assertEquals("mail2.sender.com", records.get(3L).getRemoteHost());

        assertEquals(EventType.DEFER, records.get(5L).getEventType());
        assertEquals("smtp:dc-452452f6.bar.com", records.get(5L).getConnectorId());
        assertEquals("63.200.300.49:25", records.get(5L).getRemoteIp(), "obfuscated octets are not validated");

        assertEquals(EventType.DEFER, records.get(27L).getEventType());
        assertEquals("smtp:24.200.177.247", records.get(27L).getConnectorId(), "suspended destination counts against smtp");

        assertEquals(EventType.DELIVER, records.get(29L).getEventType());
        assertEquals("forwarded as 3mLQKK4rDdz7sVS", records.get(29L).getResponseText());
        assertEquals(EventType.DELIVER, records.get(30L).getEventType());
        assertEquals("system@prd.slc.example.net", records.get(30L).getRecipient());

        assertEquals(EventType.DSN, records.get(31L).getEventType());
        final MessageTrace expired = records.get(35L);
        assertEquals(EventType.EXPIRE, expired.getEventType());
        assertNull(expired.getRecipient(), "no deferral of this queue id was seen: a message-level expiry");
        assertEquals("deedee@example.com", expired.getSender());
    }

    @Test
    @DisplayName("the samples directory replays as one merged stream; LICENSES.md, SOURCES.md and the TSV are listed as not read")
    void wholeDirectory() {
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.options().withReferenceYear(2020), DIR);
        assertEquals(5, r.summary().files().size());
        assertEquals(List.of(DIR.resolve("LICENSES.md").toString(), DIR.resolve("SOURCES.md").toString(),
                        DIR.resolve("postfix_msimerson_postfix_parser_fragments.tsv").toString()),
                List.copyOf(r.summary().filesNotRead().keySet()));
        assertEquals(10, r.summary().records());
        final List<Instant> times = r.sink().traces().stream().map(MessageTrace::getEventTime).toList();
        assertEquals(times.stream().sorted().toList(), times, "event-time order across files");
    }

    @Test
    @DisplayName("a sample that is not a trace log, named explicitly, is an error naming the file and the formats")
    void sourcesMdIsNotATraceLog() {
        final UnsupportedTraceFileException e = assertThrows(UnsupportedTraceFileException.class,
                () -> Fixtures.replay(DIR.resolve("SOURCES.md")));
        assertTrue(e.getMessage().startsWith(DIR.resolve("SOURCES.md") + ": not a trace log"), e.getMessage());
        assertTrue(e.getMessage().contains("exchange-msgtrk"));
        assertEquals(3, UnsupportedTraceFileException.EXIT_CODE);
    }
}
