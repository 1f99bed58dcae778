package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.ingest.follow.FileKey;
import io.mailflow.ingest.follow.FollowedLine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What {@code mailflow ship} makes of followed lines: replay's parsers, context lines that send nothing. */
@DisplayName("live parsing: replay's parsers per file, one Postfix context across files, context lines rebuild state silently")
class LiveParserTest {
    private static final String CLEANUP = "2026-03-02T10:00:01.000000+00:00 mx1 postfix/cleanup[7]: 3F2A91C: message-id=<m1@example.org>";
    private static final String QMGR = "2026-03-02T10:00:01.000000+00:00 mx1 postfix/qmgr[8]: 3F2A91C: from=<alice@example.org>, size=2048, nrcpt=1 (queue active)";
    private static final String SENT = "2026-03-02T10:00:03.000000+00:00 mx1 postfix/smtp[9]: 3F2A91C: to=<bob@example.net>,"
        + " relay=mx.example.net[198.51.100.7]:25, delay=2, delays=0.1/0/1/0.9, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 77)";

    private final List<MessageTrace> traces = new ArrayList<>();
    private final List<DeadLetter> deadLetters = new ArrayList<>();
    private final LiveParser.Output out = new LiveParser.Output() {
        @Override
        public void trace(final String key, final MessageTrace trace) {
            traces.add(trace);
        }

        @Override
        public void deadLetter(final DeadLetter deadLetter) {
            deadLetters.add(deadLetter);
        }

        @Override
        public void skipped(final String reason) {
        }
    };

    private static FollowedLine line(final String inode, final String path, final long number, final String text, final boolean context) {
        return new FollowedLine("postfix", new FileKey(inode, "f" + number, 1), Path.of(path), number, number * 100, text, context);
    }

    @Test
    @DisplayName("the context of a rotated file, parsed silently after a restart, still gives the next file's delivery its Message-ID and sender")
    void contextLinesRebuildThePostfixQueueAndSendNothing() {
        final LiveParser parser = new LiveParser(ReplayOptions.defaults().withFormat(TraceFormat.POSTFIX));
        parser.parse(line("1:10", "/var/log/mail.log.1", 1, CLEANUP, true), true, out);
        parser.parse(line("1:10", "/var/log/mail.log.1", 2, QMGR, true), true, out);
        assertEquals(List.of(), traces, "context lines send nothing");
        parser.parse(line("1:11", "/var/log/mail.log", 1, SENT, false), false, out);
        assertEquals(1, traces.size());
        assertEquals("<m1@example.org>", traces.get(0).getMessageId());
        assertEquals("alice@example.org", traces.get(0).getSender());
        assertEquals(1L, traces.get(0).getProvenance().getLine());
    }

    @Test
    @DisplayName("a line no parser reads becomes a dead letter with file and line, stamped with the file's last event time")
    void unreadableLineIsADeadLetter() {
        final LiveParser parser = new LiveParser(ReplayOptions.defaults().withFormat(TraceFormat.POSTFIX));
        parser.parse(line("1:10", "/var/log/mail.log", 1, SENT, false), false, out);
        parser.parse(line("1:10", "/var/log/mail.log", 2, "not a syslog line", false), false, out);
        assertEquals(1, deadLetters.size());
        assertEquals("/var/log/mail.log:2", deadLetters.get(0).getSource());
        assertEquals(traces.get(0).getEventTime(), deadLetters.get(0).getEventTime());
        assertTrue(deadLetters.get(0).getReason().contains("not a syslog line"), deadLetters.get(0).getReason());
    }

    @Test
    @DisplayName("a line stamped years after this machine's clock (a server with a wrong clock) is a dead letter, not a trace Kafka would refuse")
    void aLineFarInTheFutureIsADeadLetter() {
        final LiveParser parser = new LiveParser(ReplayOptions.defaults().withFormat(TraceFormat.POSTFIX));
        parser.parse(line("1:10", "/var/log/mail.log", 1, SENT, false), false, out);
        parser.parse(line("1:10", "/var/log/mail.log", 2, SENT.replace("2026-03-02T10:00:03", "2099-03-02T10:00:03"), false), false, out);
        assertEquals(1, traces.size(), "only the line of 2026");
        assertEquals(1, deadLetters.size());
        assertEquals("/var/log/mail.log:2", deadLetters.get(0).getSource());
        assertTrue(deadLetters.get(0).getReason().startsWith("event time 2099-03-02T10:00:03Z is more than 1 h after"),
            deadLetters.get(0).getReason());
        assertEquals(traces.get(0).getEventTime(), deadLetters.get(0).getEventTime(), "stamped with the file's last event time");
    }

    @Test
    @DisplayName("an Exchange file keeps its #Fields header while its key grows with its first KiB (one parser per inode)")
    void exchangeHeaderSurvivesTheGrowingKey() {
        final LiveParser parser = new LiveParser(ReplayOptions.defaults().withFormat(TraceFormat.EXCHANGE_MSGTRK));
        final String fields = "#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
            + "source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,"
            + "recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,"
            + "directionality,tenant-id,original-client-ip,original-server-ip,custom-data";
        final String row = "2024-03-02T10:00:01.000Z,,EX01,203.0.113.1,mx.example,,Outbound,SMTP,DEFER,1,<m@EX01>,,r1,"
            + "450 4.4.316 Connection refused,100,1,,,s,a@x,a@x,,Originating,,,,";
        parser.parse(new FollowedLine("ex", new FileKey("1:20", "small", 300), Path.of("/logs/MSGTRK1.LOG"), 1, 300, fields, false),
            false, out);
        parser.parse(new FollowedLine("ex", new FileKey("1:20", "grown", 1024), Path.of("/logs/MSGTRK1.LOG"), 2, 500, row, false),
            false, out);
        assertEquals(List.of(), deadLetters);
        assertEquals(1, traces.size());
        assertEquals("r1", traces.get(0).getRecipient());
    }
}
