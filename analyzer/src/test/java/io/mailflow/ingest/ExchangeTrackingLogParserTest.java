package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Exchange Server message tracking logs")
class ExchangeTrackingLogParserTest {
    private final Fixtures.Replayed failures = Fixtures.replay(Fixtures.resource("exchange2016_msgtrk_failures.log"));
    private final CollectingSink sink = failures.sink();

    @Test
    @DisplayName("a 2016 log with BOM and CRLF yields one record per recipient per event, headers and shadow redundancy skipped")
    void countsOfA2016Log() {
        // lines 6-17: RECEIVE, SEND x2, DEFER, DEFER x2, HAREDIRECT, 3 broken, EXPIRE, DSN, FAIL, DELIVER
        assertEquals(10, failures.summary().records());
        assertEquals(3, failures.summary().recordsOf(EventType.DEFER), "line 8 (one recipient) and line 9 (two)");
        assertEquals(2, failures.summary().recordsOf(EventType.SEND));
        assertEquals(5L, failures.summary().skippedByReason().get("header line"));
        assertEquals(1L, failures.summary().skippedByReason().get("exchange event HAREDIRECT (not a delivery event)"));
        assertEquals(List.of(11L, 12L, 13L), sink.rejectedLines().stream().sorted().toList());
    }

    @Test
    @DisplayName("the BOM does not hide the first header and quoted subjects keep their commas and quotes")
    void quotedFields() {
        final MessageTrace receive = sink.atLine(6);
        assertEquals(EventType.RECEIVE, receive.getEventType());
        assertEquals("Quarterly report, \"final\" version", receive.getSubject());
        assertEquals(Instant.parse("2024-03-02T10:00:01.100Z"), receive.getEventTime());
        assertEquals("EX01", receive.getSourceServer(), "server-hostname is the logging server on RECEIVE");
        assertEquals("mail.partner.example", receive.getRemoteHost());
        assertEquals("198.51.100.7", receive.getRemoteIp());
        assertEquals(Direction.INCOMING, receive.getDirection());
        assertEquals(48213L, receive.getSizeBytes());
        assertEquals("5f1c2a9e-0b7d-4d39-9a51-08dc3a9f0001", receive.getNetworkMessageId());
        assertEquals("1001", receive.getInternalMessageId());
        assertEquals(new io.mailflow.avro.Provenance("exchange-msgtrk",
                Fixtures.resource("exchange2016_msgtrk_failures.log").toString(), 6L), receive.getProvenance());
    }

    @Test
    @DisplayName("a SEND to two recipients becomes two records with their own status; the remote side is server-*")
    void multiRecipientSend() {
        final List<MessageTrace> send = sink.atLines(7);
        assertEquals(List.of("carol@fabrikam.com", "dave@fabrikam.com"), send.stream().map(MessageTrace::getRecipient).toList());
        for (final MessageTrace t : send) {
            assertEquals(EventType.SEND, t.getEventType());
            assertEquals("250", t.getSmtpReply());
            assertEquals("2.1.5", t.getStatusCode());
            assertEquals("250 2.1.5 Recipient OK", t.getResponseText());
            assertEquals("Outbound to Fabrikam", t.getConnectorId());
            assertEquals("EX01", t.getSourceServer(), "client-hostname is the logging server on SEND");
            assertEquals("mx.fabrikam.com", t.getRemoteHost());
            assertEquals("203.0.113.25", t.getRemoteIp());
            assertEquals("erin@contoso.com", t.getSender());
            assertEquals(Direction.ORIGINATING, t.getDirection());
        }
    }

    @Test
    @DisplayName("DEFER 450 4.4.316 Connection refused keeps connector, codes and the full text")
    void deferConnectionRefused() {
        final MessageTrace defer = sink.atLine(8);
        assertEquals(EventType.DEFER, defer.getEventType());
        assertEquals("450", defer.getSmtpReply());
        assertEquals("4.4.316", defer.getStatusCode());
        assertEquals("Outbound to Northwind", defer.getConnectorId());
        assertEquals("mx.northwind.example", defer.getRemoteHost());
        assertTrue(defer.getResponseText().startsWith("450 4.4.316 Connection refused [Message=Socket error code 10061]"));
    }

    @Test
    @DisplayName("DEFER with the [{LRT};{LED=450 4.4.312 DNS query failed};{FQDN}] list applies to every recipient")
    void deferLastErrorList() {
        final List<MessageTrace> defer = sink.atLines(9);
        assertEquals(List.of("gina@contoso.invalid", "hank@contoso.invalid"), defer.stream().map(MessageTrace::getRecipient).toList());
        for (final MessageTrace t : defer) {
            assertEquals("450", t.getSmtpReply());
            assertEquals("4.4.312", t.getStatusCode());
            assertEquals("contoso.invalid", t.getRemoteHost(), "FQDN from the list when server-hostname is empty");
            assertNull(t.getRemoteIp(), "{IP=} is empty");
            assertEquals("bounces@contoso.com", t.getReturnPath());
        }
    }

    @Test
    @DisplayName("FAIL with 550 4.4.7 QUEUE.Expired is an expiry; the ';' in its text does not split it")
    void expiry() {
        final MessageTrace expired = sink.atLine(14);
        assertEquals(EventType.EXPIRE, expired.getEventType());
        assertEquals("550", expired.getSmtpReply());
        assertEquals("4.4.7", expired.getStatusCode(), "the outcome, not the 4.4.316 last error inside the list");
        assertEquals("frank@northwind.example", expired.getRecipient());
        assertTrue(expired.getResponseText().contains("LED=450 4.4.316 Connection refused"));
    }

    @Test
    @DisplayName("a permanent FAIL stays FAIL, and DSN and DELIVER events are kept")
    void failDsnDeliver() {
        final MessageTrace fail = sink.atLine(16);
        assertEquals(EventType.FAIL, fail.getEventType());
        assertEquals("5.1.10", fail.getStatusCode());
        assertEquals("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", fail.getResponseText());

        final MessageTrace dsn = sink.atLine(15);
        assertEquals(EventType.DSN, dsn.getEventType());
        assertEquals("erin@contoso.com", dsn.getRecipient());
        assertEquals("<>", dsn.getReturnPath());

        final MessageTrace deliver = sink.atLine(17);
        assertEquals(EventType.DELIVER, deliver.getEventType());
        assertEquals("EX02", deliver.getSourceServer());
        assertNull(deliver.getConnectorId(), "an empty connector-id is null, not \"\"");
    }

    @Test
    @DisplayName("broken lines become dead letters with file, line, reason and raw text")
    void rejections() {
        final var byLine = sink.deadLetters.stream()
                .collect(java.util.stream.Collectors.toMap(d -> d.getSource().substring(d.getSource().lastIndexOf(':') + 1), d -> d));
        assertEquals("9 fields where #Fields declares 30", byLine.get("11").getReason());
        assertEquals("unreadable date-time 'yesterday'", byLine.get("12").getReason());
        assertEquals("malformed CSV (unbalanced quotes)", byLine.get("13").getReason());
        assertEquals("2024-03-02T10:13:00.000Z,10.0.0.11,EX01,,,,Outbound to Fabrikam,SMTP,SEND", byLine.get("11").getRaw());
        assertEquals("parse", byLine.get("11").getStage());
        assertTrue(byLine.get("11").getSource().endsWith("exchange2016_msgtrk_failures.log:11"));
    }

    @Test
    @DisplayName("a 2010 log without network-message-id, with a header repeated after a restart")
    void exchange2010() {
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.resource("exchange2010_msgtrk_restart.log"));
        assertEquals(0, r.summary().rejected());
        assertEquals(10L, r.summary().skippedByReason().get("header line"));
        final List<MessageTrace> send = r.sink().atLines(6);
        assertEquals(3, send.size());
        assertEquals(List.of("2.1.5", "2.1.5", "4.4.0"), send.stream().map(MessageTrace::getStatusCode).toList());
        assertEquals("451 4.4.0 Temporary failure, try again", send.get(2).getResponseText());
        assertNull(send.get(0).getNetworkMessageId());
        assertEquals("<old-1@corp.example>", r.sink().records.get(0).key(), "keyed by Message-ID without a network id");
        final MessageTrace fail = r.sink().atLine(12);
        assertEquals(EventType.FAIL, fail.getEventType());
        assertEquals("5.4.4", fail.getStatusCode());
        assertEquals("Internet Send Connector", fail.getConnectorId());
    }
}
