package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("replay: merge by event time, inputs, dead letters")
class ReplayerTest {
    private static final String FIELDS = "#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
            + "connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,"
            + "total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,"
            + "message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data";

    @TempDir
    Path tmp;

    private Path exchange(final String name, final String server, final String... timesAndRecipients) throws IOException {
        final StringBuilder sb = new StringBuilder("#Software: Microsoft Exchange Server\r\n#Version: 15.00.1497.002\r\n")
                .append("#Log-type: Message Tracking Log\r\n#Date: 2024-03-02T00:00:00.000Z\r\n").append(FIELDS).append("\r\n");
        for (final String tr : timesAndRecipients) {
            final String[] p = tr.split(" ");
            sb.append(p[0]).append(",,").append(server).append(",203.0.113.1,mx.example,,Outbound,SMTP,DEFER,1,<m@")
                    .append(server).append(">,,").append(p[1]).append(",450 4.4.316 Connection refused,100,1,,,s,a@x,a@x,,Originating,,,,\r\n");
        }
        return Files.writeString(tmp.resolve(name), sb.toString());
    }

    private static List<String> recipients(final CollectingSink sink) {
        return sink.traces().stream().map(MessageTrace::getRecipient).toList();
    }

    @Test
    @DisplayName("logs of several servers interleave into event-time order; ties go to the earlier input, then the earlier line")
    void mergesByEventTime() throws IOException {
        final Path a = exchange("a.log", "EXA", "2024-03-02T10:00:01.000Z r1", "2024-03-02T10:00:03.000Z r3", "2024-03-02T10:00:05.000Z r5a");
        final Path b = Files.writeString(tmp.resolve("b.log"), String.join("\n",
                "Mar  2 10:00:02 mx1 postfix/smtp[1]: ABCDE1: to=<r2>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)",
                "Mar  2 10:00:04 mx1 postfix/smtp[1]: ABCDE1: to=<r4>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)",
                "Mar  2 10:00:05 mx1 postfix/smtp[1]: ABCDE1: to=<r5b>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)",
                "Mar  2 10:00:05 mx1 postfix/smtp[1]: ABCDE1: to=<r5c>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)"));
        final Path c = exchange("c.log", "EXC", "2024-03-02T10:00:00.500Z r0", "2024-03-02T10:00:05.000Z r5d");

        final Fixtures.Replayed first = Fixtures.replay(Fixtures.options(), a, b, c);
        assertEquals(List.of("r0", "r1", "r2", "r3", "r4", "r5a", "r5b", "r5c", "r5d"), recipients(first.sink()));
        assertEquals(2L, first.summary().recordsByFormat().get(TraceFormat.POSTFIX) - 2);

        final Fixtures.Replayed again = Fixtures.replay(Fixtures.options(), a, b, c);
        assertEquals(first.sink().records, again.sink().records, "the same input replays to the identical sequence");

        final Fixtures.Replayed reordered = Fixtures.replay(Fixtures.options(), c, b, a);
        assertEquals(List.of("r0", "r1", "r2", "r3", "r4", "r5d", "r5b", "r5c", "r5a"), recipients(reordered.sink()),
                "ties follow the order the inputs were given");
    }

    @Test
    @DisplayName("slightly out-of-order lines within a file are put back in order by the reorder buffer")
    void reorderBuffer() throws IOException {
        final Path f = Files.writeString(tmp.resolve("ooo.log"), String.join("\n",
                "Mar  2 10:00:05 mx1 postfix/smtp[1]: ABCDE1: to=<late>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)",
                "Mar  2 10:00:06 mx1 postfix/smtp[1]: ABCDE1: to=<later>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)",
                "Mar  2 10:00:03 mx1 postfix/smtp[1]: ABCDE1: to=<early>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)"));
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.options(), f);
        assertEquals(List.of("early", "late", "later"), recipients(r.sink()));
        assertEquals(0, r.summary().outOfOrder());

        // a window of one record holds one record back: "early" is two lines late, one too many
        final Fixtures.Replayed tiny = Fixtures.replay(Fixtures.options().withReorderWindow(1), f);
        assertEquals(List.of("late", "early", "later"), recipients(tiny.sink()),
                "beyond the window a record still comes out, late");
        assertEquals(1, tiny.summary().outOfOrder());
    }

    @Test
    @DisplayName("gzip is recognised by its magic bytes, whatever the file is called")
    void gzipByMagic() throws IOException {
        final Path gz = tmp.resolve("postfix.log");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(Files.readAllBytes(Fixtures.resource("postfix_interleaved.log")));
        }
        final Fixtures.Replayed r = Fixtures.replay(gz);
        assertEquals(11, r.summary().records());
        assertEquals(4, r.summary().rejected());
        assertEquals(Files.size(gz), r.summary().bytesRead(), "progress counts compressed bytes against the file size");
    }

    @Test
    @DisplayName("directories are read recursively in sorted order; non-trace files in them are listed, not fatal")
    void directories() throws IOException {
        final Path dir = Files.createDirectories(tmp.resolve("logs/sub"));
        Files.copy(Fixtures.resource("postfix_rfc3339.log"), dir.resolve("b.log"));
        Files.copy(Fixtures.resource("exo_extended_report_utf16.csv"), tmp.resolve("logs/a.csv"));
        Files.copy(Fixtures.resource("not_a_trace.txt"), tmp.resolve("logs/README.txt"));
        Files.writeString(tmp.resolve("logs/empty.log"), "");
        final Fixtures.Replayed r = Fixtures.replay(tmp.resolve("logs"));
        assertEquals(List.of(tmp.resolve("logs/a.csv").toString(), tmp.resolve("logs/sub/b.log").toString()),
                List.copyOf(r.summary().files().keySet()));
        assertEquals("not a trace log", r.summary().filesNotRead().get(tmp.resolve("logs/README.txt").toString()));
        assertEquals("empty", r.summary().filesNotRead().get(tmp.resolve("logs/empty.log").toString()));
        assertEquals(4, r.summary().records());
    }

    @Test
    @DisplayName("a directory of rotated logs is read with only the files that overlap in time open")
    void rotatedLogsOpenOneAtATime() throws IOException {
        final Path dir = Files.createDirectories(tmp.resolve("rotated"));
        final List<String> expected = new ArrayList<>();
        for (int hour = 0; hour < 24; hour++) {
            final String h = String.format(java.util.Locale.ROOT, "%02d", hour);
            exchange("rotated/MSGTRK20240302" + h + "-1.LOG", "EX1",
                    "2024-03-02T" + h + ":00:00.000Z a" + h, "2024-03-02T" + h + ":59:59.000Z b" + h);
            expected.add("a" + h);
            expected.add("b" + h);
        }
        final Fixtures.Replayed r = Fixtures.replay(dir);
        assertEquals(expected, recipients(r.sink()));
        assertEquals(24, r.summary().files().size());
        assertEquals(1, r.summary().maxOpenFiles());

        // a second server's files overlap each hour: two open at a time, still in order
        Files.createDirectories(dir.resolve("x"));
        for (int hour = 0; hour < 24; hour++) {
            final String h = String.format(java.util.Locale.ROOT, "%02d", hour);
            exchange("rotated/x/MSGTRK20240302" + h + "-2.LOG", "EX2", "2024-03-02T" + h + ":30:00.000Z c" + h);
        }
        final Fixtures.Replayed both = Fixtures.replay(dir);
        assertEquals(72, both.summary().records());
        assertEquals(2, both.summary().maxOpenFiles());
        final List<Instant> times = both.sink().traces().stream().map(MessageTrace::getEventTime).toList();
        assertEquals(times.stream().sorted().toList(), times);
    }

    @Test
    @DisplayName("a named file that is not a trace log fails the replay before anything is sent")
    void notATraceLog() {
        final CollectingSink sink = new CollectingSink();
        final UnsupportedTraceFileException e = assertThrows(UnsupportedTraceFileException.class,
                () -> new Replayer().replay(List.of(Fixtures.resource("postfix_interleaved.log"),
                        Fixtures.resource("not_a_trace.txt")), Fixtures.options(), sink));
        assertEquals(Fixtures.resource("not_a_trace.txt"), e.file());
        assertTrue(e.getMessage().contains("postfix: Postfix syslog"), e.getMessage());
        assertTrue(sink.records.isEmpty());
        assertThrows(UnsupportedTraceFileException.class, () -> Fixtures.replay(tmp.resolve("missing.log")));
    }

    @Test
    @DisplayName("a forced format skips detection: a Postfix log forced to msgtrk is all dead letters, nothing silently lost")
    void forcedFormat() {
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.options().withFormat(TraceFormat.EXCHANGE_MSGTRK),
                Fixtures.resource("postfix_rfc3339.log"));
        assertEquals(0, r.summary().records());
        assertEquals(4, r.summary().rejected());
        assertEquals(4L, r.summary().rejectedByReason().get("data line before any #Fields header"));
        assertEquals(TraceFormat.POSTFIX, TraceFormat.fromId("postfix"));
        assertEquals(TraceFormat.EXCHANGE_ONLINE_CSV, TraceFormat.fromId("EXCHANGE_ONLINE_CSV"));
    }

    @Test
    @DisplayName("JSON lines: what TraceJson writes, replay reads back unchanged")
    void jsonLinesRoundTrip() throws IOException {
        final List<MessageTrace> original = new ArrayList<>(
            Fixtures.replay(Fixtures.resource("exchange2016_msgtrk_failures.log")).sink().traces());
        // Postfix records carry the arrival their delay= tells
        final List<MessageTrace> postfix = Fixtures.replay(Fixtures.resource("postfix_interleaved.log")).sink().traces();
        assertTrue(postfix.stream().anyMatch(t -> t.getArrivalTime() != null));
        original.addAll(postfix);
        final List<String> lines = new ArrayList<>();
        original.forEach(t -> lines.add(TraceJson.write(t)));
        final Path jsonl = Files.write(tmp.resolve("traces.jsonl"), lines, StandardCharsets.UTF_8);
        final Fixtures.Replayed back = Fixtures.replay(jsonl);
        assertEquals(TraceFormat.JSONL, back.summary().files().values().iterator().next());
        // one file now, so the replay hands them out merged by event time: compare as sets of records
        assertEquals(sortedByText(original), sortedByText(back.sink().traces()));
        assertEquals("exchange-msgtrk", back.sink().traces().get(0).getProvenance().getFormat(),
                "the provenance in the line (the original log line) is kept");
    }

    @Test
    @DisplayName("JSON lines written by hand: epoch millis or ISO times, enum symbols in any case, bad lines rejected")
    void jsonLinesByHand() {
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.resource("traces.jsonl"));
        assertEquals(2, r.summary().records());
        final MessageTrace defer = r.sink().atLine(1);
        assertEquals(EventType.DEFER, defer.getEventType());
        assertEquals(Direction.ORIGINATING, defer.getDirection());
        assertEquals(new Provenance("jsonl", Fixtures.resource("traces.jsonl").toString(), 1L), defer.getProvenance());
        final MessageTrace deliver = r.sink().atLine(2);
        assertEquals(Instant.parse("2024-03-02T10:00:00.500Z"), deliver.getEventTime());
        assertEquals(1234L, deliver.getSizeBytes());
        assertEquals(List.of(3L, 4L, 6L), r.sink().rejectedLines());
        assertEquals("missing eventType", r.sink().deadLetters.get(2).getReason());
        assertEquals(1L, r.summary().skippedByReason().get("blank line"));
    }

    @Test
    @DisplayName("dead letters keep at most 8 KiB of the raw line and say when they cut it")
    void deadLetterTruncation() throws IOException {
        final String huge = "x".repeat(20_000) + "é";
        final Path f = Files.writeString(tmp.resolve("bad.log"),
                "Mar  2 10:00:02 mx1 postfix/smtp[1]: ABCDE1: to=<a>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)\n"
                        + huge + "\n");
        final Fixtures.Replayed r = Fixtures.replay(f);
        final DeadLetter d = r.sink().deadLetters.get(0);
        assertEquals(f + ":2", d.getSource());
        assertTrue(d.getRawTruncated());
        assertEquals(Rejection.MAX_RAW_BYTES, d.getRaw().getBytes(StandardCharsets.UTF_8).length);
        assertEquals(Instant.parse("2024-03-02T10:00:02Z"), d.getEventTime(), "the last event time read from the file");
        assertEquals("Ω", Rejection.truncateUtf8("Ωx", 2), "never cuts inside a character");
        assertFalse(new Rejection("f", 1, "r", "short", 0).toDeadLetter().getRawTruncated());
    }

    @Test
    @DisplayName("dead letters before a file's first good line carry that line's event time, the same in every replay")
    void deadLettersBeforeTheFirstGoodLine() throws IOException {
        final Path f = Files.writeString(tmp.resolve("late-start.jsonl"),
                "not json at all\n"
                        + "{\"eventTime\":\"2024-03-02T10:00:01Z\",\"eventType\":\"BOUNCED\",\"recipient\":\"c@x.example\"}\n"
                        + "{\"eventTime\":\"2024-03-02T10:00:05Z\",\"eventType\":\"DEFER\",\"networkMessageId\":\"n-1\",\"recipient\":\"a@x.example\"}\n"
                        + "also not json\n"
                        + "{\"eventTime\":\"2024-03-02T10:00:09Z\",\"eventType\":\"DELIVER\",\"networkMessageId\":\"n-1\",\"recipient\":\"a@x.example\"}\n");
        // (forced: detection would refuse a file whose first line is not JSON)
        final ReplayOptions jsonl = Fixtures.options().withFormat(TraceFormat.JSONL);
        final List<DeadLetter> first = Fixtures.replay(jsonl, f).sink().deadLetters;
        final List<DeadLetter> second = Fixtures.replay(jsonl, f).sink().deadLetters;
        assertEquals(List.of(f + ":1", f + ":2", f + ":4"), first.stream().map(DeadLetter::getSource).toList(), "in file order");
        assertEquals(List.of(Instant.parse("2024-03-02T10:00:05Z"), Instant.parse("2024-03-02T10:00:05Z"),
                Instant.parse("2024-03-02T10:00:05Z")), first.stream().map(DeadLetter::getEventTime).toList(),
                "before the first good line: its time; after it: the last good line's time");
        assertEquals(first, second, "two replays of the same file write the same dead letters");
    }

    @Test
    @DisplayName("a line stamped years after this machine's clock is a dead letter saying why; the lines around it are replayed")
    void aLineFarInTheFutureIsADeadLetter() throws IOException {
        final Path f = exchange("MSGTRK2024030210-1.LOG", "EX01", "2024-03-02T10:00:01.000Z a@x.example",
            "2099-03-02T10:00:02.000Z b@x.example", "2024-03-02T10:00:03.000Z c@x.example");
        final Fixtures.Replayed r = Fixtures.replay(f);
        assertEquals(List.of("a@x.example", "c@x.example"), recipients(r.sink()), "the lines around it");
        assertEquals(List.of(7L), r.sink().rejectedLines(), "the 2099 line (line 7: five header lines, then the data)");
        final DeadLetter d = r.sink().deadLetters.get(0);
        assertTrue(d.getReason().startsWith("event time 2099-03-02T10:00:02Z is more than 1 h after this machine's clock"), d.getReason());
        assertTrue(d.getReason().contains("message.timestamp.after.max.ms"), "names the broker's limit: " + d.getReason());
        assertEquals(Instant.parse("2024-03-02T10:00:01Z"), d.getEventTime(), "stamped with the last good line's time, as every dead letter");
        assertEquals(1, r.summary().rejected());
    }

    @Test
    @DisplayName("a file with no good line at all: its dead letters carry epoch 0, never the wall clock")
    void deadLettersOfAFileWithoutGoodLines() throws IOException {
        final Path f = Files.writeString(tmp.resolve("all-bad.jsonl"), "{\"recipient\":\"a@x.example\"}\nnot json\n");
        final ReplayOptions jsonl = Fixtures.options().withFormat(TraceFormat.JSONL);
        final Fixtures.Replayed r = Fixtures.replay(jsonl, f);
        assertEquals(0, r.summary().records());
        assertEquals(List.of(Instant.EPOCH, Instant.EPOCH), r.sink().deadLetters.stream().map(DeadLetter::getEventTime).toList());
        assertEquals(r.sink().deadLetters, Fixtures.replay(jsonl, f).sink().deadLetters);
    }

    @Test
    @DisplayName("the summary renders counts per format, event type and reason")
    void summaryText() {
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.resource("postfix_interleaved.log"), Fixtures.resource("exo_extended_report.csv"));
        final String text = r.summary().render();
        assertTrue(text.startsWith("Replayed 18 records from 2 file(s)"), text);
        assertTrue(text.contains("         11  postfix"), text);
        assertTrue(text.contains("          7  exchange-online-csv"), text);
        assertTrue(text.contains("          6  DEFER"), text);
        assertTrue(text.contains("Rejected lines (sent as dead letters): 5"), text);
        assertTrue(text.contains("          7  message context (cleanup/qmgr/smtpd/pickup)"), text);
        assertEquals(1, r.sink().flushes);
    }

    private static List<String> sortedByText(final List<MessageTrace> traces) {
        return traces.stream().map(MessageTrace::toString).sorted().toList();
    }

    @Test
    @DisplayName("rotated Postfix logs replayed together are one log: a message received before the rotation keeps its "
            + "Message-ID, sender and size when it is delivered after it")
    void postfixContextCrossesRotation() throws IOException {
        final Path rotated = Files.writeString(tmp.resolve("mail.log.1"), String.join("\n",
                "Mar  2 10:00:01 mx1 postfix/cleanup[7]: 3F2A91C: message-id=<m1@example.org>",
                "Mar  2 10:00:01 mx1 postfix/qmgr[8]: 3F2A91C: from=<alice@example.org>, size=2048, nrcpt=1 (queue active)",
                "") );
        final Path current = Files.writeString(tmp.resolve("mail.log"), String.join("\n",
                "Mar  2 10:00:03 mx1 postfix/smtp[9]: 3F2A91C: to=<bob@example.net>, relay=mx.example.net[198.51.100.7]:25,"
                        + " delay=2, delays=0.1/0/1/0.9, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 77)",
                ""));
        final List<MessageTrace> together = Fixtures.replay(rotated, current).sink().traces();
        assertEquals(1, together.size());
        assertEquals("<m1@example.org>", together.get(0).getMessageId());
        assertEquals("alice@example.org", together.get(0).getSender());
        assertEquals(2048L, together.get(0).getSizeBytes());
        // alone, the current file has no context for the queue id
        assertEquals(null, Fixtures.replay(current).sink().traces().get(0).getMessageId());
    }
}
