package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Postfix logs")
class PostfixLogParserTest {

    @Nested
    @DisplayName("two messages whose lines interleave")
    class Interleaved {
        private final Fixtures.Replayed r = Fixtures.replay(Fixtures.resource("postfix_interleaved.log"));
        private final CollectingSink sink = r.sink();

        @Test
        @DisplayName("every line is a record, a counted skip or a dead letter")
        void accounting() {
            assertEquals(11, r.summary().records());
            assertEquals(15, r.summary().skipped());
            assertEquals(List.of(17L, 18L, 28L, 30L), sink.rejectedLines().stream().sorted().toList());
        }

        @Test
        @DisplayName("skip reasons are counted per reason")
        void skipReasons() {
            final Map<String, Long> expected = new TreeMap<>(Map.of(
                    "message context (cleanup/qmgr/smtpd/pickup)", 7L,
                    "smtpd connect/disconnect", 3L,
                    "TLS", 1L,
                    "anvil", 1L,
                    "warning", 1L,
                    "queue file removed", 2L));
            assertEquals(expected, r.summary().skippedByReason());
        }

        @Test
        @DisplayName("a delivery carries Message-ID, sender and size from the cleanup and qmgr lines of its queue id")
        void correlation() {
            final MessageTrace carol = sink.atLine(11);
            assertEquals(EventType.SEND, carol.getEventType());
            assertEquals("carol@dest.example", carol.getRecipient());
            assertEquals("<20240302100001.AAA@example.net>", carol.getMessageId());
            assertEquals("alice@example.net", carol.getSender());
            assertEquals(2048L, carol.getSizeBytes());
            assertEquals("4F2A11C0001", carol.getInternalMessageId());
            assertEquals("mx1", carol.getSourceServer());
            assertEquals("smtp:relay.example.com", carol.getConnectorId());
            assertEquals("relay.example.com", carol.getRemoteHost());
            assertEquals("203.0.113.5:25", carol.getRemoteIp());
            assertEquals("250", carol.getSmtpReply());
            assertEquals("2.0.0", carol.getStatusCode());
            assertEquals("250 2.0.0 Ok: queued as 9XYZ", carol.getResponseText());
            assertEquals(Instant.parse("2024-03-02T10:00:04Z"), carol.getEventTime());

            final MessageTrace dave = sink.atLine(12);
            assertEquals("<20240302100002.BBB@example.org>", dave.getMessageId(), "not the other message's id");
            assertEquals("bob@example.org", dave.getSender());
            assertEquals("<20240302100002.BBB@example.org>", sink.records.stream()
                    .filter(k -> k.trace() == dave).findFirst().orElseThrow().key(), "keyed by Message-ID");
        }

        @Test
        @DisplayName("deferred: reply code from 'host .. said:', status code from dsn=")
        void deferral() {
            final MessageTrace dave = sink.atLine(12);
            assertEquals(EventType.DEFER, dave.getEventType());
            assertEquals("450", dave.getSmtpReply());
            assertEquals("4.7.1", dave.getStatusCode());
            assertEquals("smtp:mx.slow.example", dave.getConnectorId());
            assertTrue(dave.getResponseText().startsWith("host mx.slow.example[203.0.113.9] said: 450 4.7.1"));

            final MessageTrace erin = sink.atLine(13);
            assertEquals(EventType.DEFER, erin.getEventType());
            assertEquals("erin@dest.example", erin.getRecipient(), "to=, not orig_to=");
            assertNull(erin.getSmtpReply(), "a timeout has no SMTP reply");
            assertEquals("4.4.2", erin.getStatusCode());
        }

        @Test
        @DisplayName("lmtp and local deliveries are DELIVER; bounced is FAIL")
        void deliveriesAndBounces() {
            final MessageTrace frank = sink.atLine(14);
            assertEquals(EventType.DELIVER, frank.getEventType());
            assertEquals("lmtp:mail.example.net", frank.getConnectorId());
            final MessageTrace root = sink.atLine(26);
            assertEquals(EventType.DELIVER, root.getEventType());
            assertEquals("local", root.getConnectorId());
            final MessageTrace hank = sink.atLine(27);
            assertEquals(EventType.FAIL, hank.getEventType());
            assertEquals("550", hank.getSmtpReply());
            assertEquals("5.1.1", hank.getStatusCode());
        }

        @Test
        @DisplayName("qmgr expiry names each recipient still deferred, with the connector of its last attempt")
        void expiry() {
            final MessageTrace expired = sink.atLine(21);
            assertEquals(EventType.EXPIRE, expired.getEventType());
            assertEquals("dave@slow.example", expired.getRecipient());
            assertEquals("smtp:mx.slow.example", expired.getConnectorId());
            assertEquals("<20240302100002.BBB@example.org>", expired.getMessageId());
            assertEquals(Instant.parse("2024-03-07T10:00:03Z"), expired.getEventTime());
            final MessageTrace dsn = sink.atLine(23);
            assertEquals(EventType.DSN, dsn.getEventType());
            assertEquals("7B3C22D0002", dsn.getInternalMessageId());
            assertEquals("sender non-delivery notification: 8C4D33E0003", dsn.getResponseText());
        }

        @Test
        @DisplayName("a recipient delivered after a deferral is not expired later, and 'removed' forgets the queue id")
        void deliveredAfterDeferral() {
            assertEquals(EventType.SEND, sink.atLine(19).getEventType());
            assertEquals(1, sink.ofType(EventType.EXPIRE).size());
        }

        @Test
        @DisplayName("connector mapping for suspended destinations and relay=none")
        void connectorMapping() {
            final MessageTrace gina = sink.atLine(25);
            assertEquals("smtp:mx.down.example", gina.getConnectorId(), "error agent, but the smtp destination failed");
            assertEquals("192.0.2.99:25", gina.getRemoteIp());
            final MessageTrace dns = sink.atLine(29);
            assertEquals("smtp:y.example", dns.getConnectorId(), "no host in the text: the recipient domain");
        }

        @Test
        @DisplayName("rejections say why")
        void rejectionReasons() {
            final List<String> reasons = new ArrayList<>();
            sink.deadLetters.forEach(d -> reasons.add(d.getReason()));
            assertEquals(List.of(
                    "not a syslog line (no timestamp, host and program prefix)",
                    "delivery line without status=",
                    "unknown delivery status 'weird'"), reasons.subList(0, 3));
            assertTrue(reasons.get(3).startsWith("impossible timestamp"), reasons.get(3));
        }
    }

    @Test
    @DisplayName("Dec 31 → Jan 1 moves to the next year (reference year given)")
    void yearRolloverWithReferenceYear() {
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.options().withReferenceYear(2023), Fixtures.resource("postfix_new_year.log"));
        assertEquals(Instant.parse("2023-12-31T23:59:58Z"), r.sink().atLine(1).getEventTime());
        assertEquals(Instant.parse("2024-01-01T00:00:03Z"), r.sink().atLine(2).getEventTime());
        assertEquals("smtp:mx.d.example", r.sink().atLine(2).getConnectorId());
    }

    @Test
    @DisplayName("without a reference year a December log read in January belongs to last year")
    void yearInferredFromNow() {
        final ReplayOptions options = Fixtures.options().withReferenceYear(null)
                .withClock(Clock.fixed(Instant.parse("2024-01-02T12:00:00Z"), ZoneOffset.UTC));
        final Fixtures.Replayed r = Fixtures.replay(options, Fixtures.resource("postfix_new_year.log"));
        assertEquals(Instant.parse("2023-12-31T23:59:58Z"), r.sink().atLine(1).getEventTime());
        assertEquals(Instant.parse("2024-01-01T00:00:03Z"), r.sink().atLine(2).getEventTime());
    }

    @Test
    @DisplayName("classic timestamps are read in the configured zone")
    void syslogZone() {
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.options().withReferenceYear(2023)
                .withSyslogZone(ZoneId.of("Europe/Stockholm")), Fixtures.resource("postfix_new_year.log"));
        assertEquals(Instant.parse("2023-12-31T22:59:58Z"), r.sink().atLine(1).getEventTime());
    }

    @Test
    @DisplayName("RFC 3339 timestamps with fractions and offsets")
    void rfc3339() {
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.resource("postfix_rfc3339.log"));
        assertEquals(2, r.summary().records());
        final MessageTrace sent = r.sink().atLine(3);
        assertEquals(Instant.parse("2024-03-02T09:00:02.500Z"), sent.getEventTime());
        assertEquals("<rfc3339@example.org>", sent.getMessageId());
        assertEquals(999L, sent.getSizeBytes());
        final MessageTrace deferred = r.sink().atLine(4);
        assertEquals(Instant.parse("2024-03-02T09:00:03Z"), deferred.getEventTime());
        assertEquals("421", deferred.getSmtpReply());
        assertEquals("4.7.0", deferred.getStatusCode());
    }

    @Test
    @DisplayName("a number too large for its field is a dead letter, not a crash")
    void absurdNumbers(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path tmp) {
        final Fixtures.Replayed r = Fixtures.replayText(tmp, "big.log",
                "Mar  2 10:00:02 mx1 postfix/qmgr[1]: ABCDE1: from=<a@b>, size=99999999999999999999999, nrcpt=1 (queue active)\n"
                        + "Mar  2 10:00:03 mx1 postfix/smtp[1]: ABCDE1: to=<c@d>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)\n");
        assertEquals(1, r.summary().records());
        assertEquals(List.of(1L), r.sink().rejectedLines());
        assertTrue(r.sink().deadLetters.get(0).getReason().startsWith("parser failed: java.lang.NumberFormatException"));
    }

    @Test
    @DisplayName("queue-id state is bounded: beyond the cap the least recently used queue id is forgotten")
    void boundedQueueState() {
        final PostfixLogParser parser = new PostfixLogParser("mem", 2024, ZonedDateTime.now(ZoneOffset.UTC), ZoneOffset.UTC, 2);
        final List<MessageTrace> out = new ArrayList<>();
        final ParseOutput collect = new ParseOutput() {
            @Override
            public void record(final MessageTrace trace) {
                out.add(trace);
            }

            @Override
            public void skip(final String reason) {
            }

            @Override
            public void reject(final String reason) {
                throw new AssertionError(reason);
            }
        };
        for (int i = 1; i <= 3; i++) {
            parser.parse("Mar  2 10:00:0" + i + " h postfix/cleanup[1]: ABCDE" + i + ": message-id=<m" + i + "@x>", i, collect);
        }
        assertEquals(2, parser.queue().size());
        assertEquals(1, parser.queue().evicted());
        parser.parse("Mar  2 10:00:05 h postfix/smtp[2]: ABCDE1: to=<a@b>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)", 5, collect);
        parser.parse("Mar  2 10:00:06 h postfix/smtp[2]: ABCDE3: to=<a@b>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (x)", 6, collect);
        assertNull(out.get(0).getMessageId(), "evicted: the delivery still becomes a record, without the Message-ID");
        assertEquals("<m3@x>", out.get(1).getMessageId());
        parser.parse("Mar  2 10:00:07 h postfix/qmgr[3]: ABCDE3: removed", 7, collect);
        assertEquals(1, parser.queue().size(), "removed frees the queue id");
    }

    @Test
    @DisplayName("delay= tells when a message entered the queue, also for one that arrived before the log began")
    void arrivalFromDelay(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path tmp) {
        // the shape of the kumina sample: a message already 12.5 hours in the queue at its first line
        final Fixtures.Replayed r = Fixtures.replayText(tmp, "maillog",
                "Mar 14 03:25:38 mx1 postfix/smtp[6656]: 5BECF63C4A: to=<a@icloud.example>, relay=none, delay=44899, "
                        + "delays=44869/0/30/0, dsn=4.4.1, status=deferred (connect to icloud.example[192.0.2.4]:25: Connection timed out)\n"
                        + "Mar 14 03:40:00 mx1 postfix/smtp[6657]: 5BECF63C4A: to=<a@icloud.example>, relay=none, delay=45761, "
                        + "delays=45731/0/30/0, dsn=4.4.1, status=deferred (connect to icloud.example[192.0.2.4]:25: Connection timed out)\n"
                        + "Mar 14 03:41:00 mx1 postfix/qmgr[1]: 5BECF63C4A: from=<s@example.net>, status=expired, returned to sender\n"
                        + "Mar 14 03:41:30 mx1 postfix/smtp[6659]: 88BB12C0A1: to=<c@y.example>, relay=y.example[192.0.2.9]:25, delay=0.27, "
                        + "delays=0.01/0/0.1/0.16, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
                        + "Mar 14 03:42:00 mx1 postfix/smtp[6658]: 77AA12C0A2: to=<b@x.example>, relay=none, delay=soon, "
                        + "delays=1/0/0/0, dsn=4.4.1, status=deferred (x)\n");
        assertEquals(5, r.summary().records());
        final Instant arrived = Instant.parse("2024-03-14T03:25:38Z").minusSeconds(44899);
        assertEquals(arrived, r.sink().atLine(1).getArrivalTime(), "03:25:38 minus 44,899 s in the queue");
        assertEquals(arrived, r.sink().atLine(2).getArrivalTime(), "the next attempt's delay= tells the same arrival");
        assertEquals(arrived, r.sink().atLine(3).getArrivalTime(), "the expiry line has no delay=: the queue id's arrival");
        assertEquals(Instant.parse("2024-03-14T03:41:29.730Z"), r.sink().atLine(4).getArrivalTime(), "hundredths of a second");
        final MessageTrace unreadable = r.sink().atLine(5);
        assertEquals(EventType.DEFER, unreadable.getEventType(), "an unreadable delay= loses only the arrival");
        assertNull(unreadable.getArrivalTime());
    }
}
