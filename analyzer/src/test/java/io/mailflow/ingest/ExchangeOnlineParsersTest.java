package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Exchange Online exports")
class ExchangeOnlineParsersTest {

    @Test
    @DisplayName("extended report CSV: underscored quoted columns, BOM, ';'-lists, SENDEXTERNAL, 5.4.300 expiry")
    void extendedReport() {
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.resource("exo_extended_report.csv"));
        assertEquals(TraceFormat.EXCHANGE_ONLINE_CSV, r.summary().files().values().iterator().next());
        assertEquals(7, r.summary().records());
        assertEquals(List.of(7L), r.sink().rejectedLines());
        assertEquals(1L, r.summary().skippedByReason().get("exchange event AGENTINFO (not a delivery event)"));

        final List<MessageTrace> receive = r.sink().atLines(2);
        assertEquals(List.of("buyer@fabrikam.com", "ops@fabrikam.com"), receive.stream().map(MessageTrace::getRecipient).toList());
        assertEquals("Order 1001, rush", receive.get(0).getSubject());
        assertEquals(Instant.parse("2024-03-02T10:00:01Z"), receive.get(0).getEventTime());

        final List<MessageTrace> defer = r.sink().atLines(3);
        assertEquals(2, defer.size());
        for (final MessageTrace t : defer) {
            assertEquals(EventType.DEFER, t.getEventType());
            assertEquals("4.4.316", t.getStatusCode());
            assertEquals("Outbound to Fabrikam", t.getConnectorId());
            assertEquals("450 4.4.316 Connection refused [Message=Socket error code 10061]", t.getResponseText());
            assertEquals("exchange-online-csv", t.getProvenance().getFormat());
        }
        assertEquals(EventType.SEND, r.sink().atLines(5).get(0).getEventType(), "SENDEXTERNAL is a SEND");

        final MessageTrace expired = r.sink().atLine(6);
        assertEquals(EventType.EXPIRE, expired.getEventType(), "5.4.300 Message expired -> last error is an expiry");
        assertEquals("550", expired.getSmtpReply());
        assertEquals("5.4.300", expired.getStatusCode());
        assertEquals("Weekly \"status\" report", expired.getSubject());
    }

    @Test
    @DisplayName("extended report variant: UTF-16 with BOM, other column order, origin_timestamp only")
    void utf16Variant() {
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.resource("exo_extended_report_utf16.csv"));
        assertEquals(2, r.summary().records());
        assertEquals(0, r.summary().rejected());
        final MessageTrace defer = r.sink().atLine(2);
        assertEquals(EventType.DEFER, defer.getEventType());
        assertEquals("4.7.320", defer.getStatusCode());
        assertEquals("Outbound to Northwind (TLS)", defer.getConnectorId());
        assertEquals("Contract; please sign, today", defer.getSubject());
        assertEquals(Instant.parse("2024-03-04T08:00:00Z"), defer.getEventTime());
        assertEquals(Direction.ORIGINATING, defer.getDirection());
        final MessageTrace deliver = r.sink().atLine(3);
        assertEquals(EventType.DELIVER, deliver.getEventType());
        assertEquals(Direction.INCOMING, deliver.getDirection());
        assertEquals(2500L, deliver.getSizeBytes());
    }

    @Test
    @DisplayName("recipient_status written as address##status pairs, with no recipient_address column")
    void addressedStatuses(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path tmp) {
        final Fixtures.Replayed r = Fixtures.replayText(tmp, "summary.csv",
                "origin_timestamp,sender_address,recipient_status,event_id,connector_id,message_id\n"
                        + "2024-03-05T09:00:00Z,a@contoso.com,\"x@fabrikam.com##450 4.4.316 Connection refused; retrying;y@fabrikam.com##250 2.6.0 Queued\",DEFER,Outbound to Fabrikam,<s-1@contoso.com>\n");
        final List<MessageTrace> t = r.sink().atLines(2);
        assertEquals(List.of("x@fabrikam.com", "y@fabrikam.com"), t.stream().map(MessageTrace::getRecipient).toList());
        assertEquals("450 4.4.316 Connection refused; retrying", t.get(0).getResponseText());
        assertEquals("4.4.316", t.get(0).getStatusCode());
        assertEquals("2.6.0", t.get(1).getStatusCode());
    }

    @Test
    @DisplayName("origin_timestamp_utc beside date_time_utc: the event at date_time, the message's arrival at origin_timestamp")
    void originTimestampIsTheArrival(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path tmp) {
        final Fixtures.Replayed r = Fixtures.replayText(tmp, "extended.csv",
                "origin_timestamp_utc,date_time_utc,event_id,connector_id,recipient_address,recipient_status,message_id\n"
                        + "2024-03-04T22:00:00Z,2024-03-05T09:00:00Z,DEFER,Outbound to Fabrikam,x@fabrikam.com,450 4.4.316 Connection refused,<o-1@contoso.com>\n"
                        + "2024-03-05T10:00:00Z,2024-03-05T09:30:00Z,DEFER,Outbound to Fabrikam,x@fabrikam.com,450 4.4.316 Connection refused,<o-2@contoso.com>\n"
                        + "not a time,2024-03-05T09:45:00Z,DEFER,Outbound to Fabrikam,x@fabrikam.com,450 4.4.316 Connection refused,<o-3@contoso.com>\n");
        assertEquals(3, r.summary().records(), "an unreadable origin_timestamp costs only the arrival");
        assertEquals(Instant.parse("2024-03-05T09:00:00Z"), r.sink().atLine(2).getEventTime());
        assertEquals(Instant.parse("2024-03-04T22:00:00Z"), r.sink().atLine(2).getArrivalTime());
        assertNull(r.sink().atLine(3).getArrivalTime(), "an arrival after the event is no arrival");
        assertNull(r.sink().atLine(4).getArrivalTime());
    }

    @Test
    @DisplayName("Get-MessageTrace | Export-Csv: detected by its header, #TYPE skipped, Status mapped, other statuses counted")
    void messageTraceSummaryCsv(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path tmp) {
        final String header = "\"Organization\",\"MessageId\",\"Received\",\"SenderAddress\",\"RecipientAddress\",\"Subject\","
                + "\"Status\",\"ToIP\",\"FromIP\",\"Size\",\"MessageTraceId\",\"StartDate\",\"EndDate\",\"Index\"";
        final String common = "\"contoso.onmicrosoft.com\",";
        // en-US: StartDate 2/27/2026 (27 cannot be a month) tells that the file's dates are month first
        final Fixtures.Replayed r = Fixtures.replayText(tmp, "MessageTrace.csv",
                "#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n" + header + "\r\n"
                        + common + "\"<o-1@contoso.com>\",\"3/2/2026 10:00:01 AM\",\"kim@contoso.com\",\"lee@fabrikam.example\","
                        + "\"Order 1001, rush\",\"Pending\",\"203.0.113.25\",\"10.0.0.5\",\"12345\",\"0e5c7d3a-0001\","
                        + "\"2/27/2026 12:00:00 AM\",\"3/3/2026 12:00:00 AM\",\"0\"\r\n"
                        + common + "\"<o-2@contoso.com>\",\"3/2/2026 10:05:00 AM\",\"kim@contoso.com\",\"pat@fabrikam.example\","
                        + "\"Hi\",\"Failed\",\"\",\"10.0.0.5\",\"\",\"0e5c7d3a-0002\",\"2/27/2026 12:00:00 AM\",\"3/3/2026 12:00:00 AM\",\"1\"\r\n"
                        + common + "\"<o-3@contoso.com>\",\"3/2/2026 10:06:00 AM\",\"x@spam.example\",\"kim@contoso.com\","
                        + "\"Win\",\"FilteredAsSpam\",\"\",\"198.51.100.1\",\"900\",\"0e5c7d3a-0003\",\"2/27/2026 12:00:00 AM\",\"3/3/2026 12:00:00 AM\",\"2\"\r\n"
                        + common + "\"<o-4@contoso.com>\",\"3/2/2026 10:07:00 AM\",\"kim@contoso.com\"\r\n");
        assertEquals(TraceFormat.EXCHANGE_ONLINE_SUMMARY, r.summary().files().values().iterator().next());
        assertEquals(2, r.summary().records());
        assertEquals(1L, r.summary().skippedByReason().get("exchange online status FilteredAsSpam (not a delivery outcome)"));
        assertEquals(List.of(6L), r.sink().rejectedLines(), "a row cut short is a dead letter");

        final MessageTrace pending = r.sink().atLine(3);
        assertEquals(EventType.DEFER, pending.getEventType(), "Pending: still queued");
        assertEquals(Instant.parse("2026-03-02T10:00:01Z"), pending.getEventTime());
        assertEquals("lee@fabrikam.example", pending.getRecipient());
        assertEquals("<o-1@contoso.com>", pending.getMessageId());
        assertEquals("0e5c7d3a-0001", pending.getNetworkMessageId());
        assertEquals("Order 1001, rush", pending.getSubject());
        assertEquals("203.0.113.25", pending.getRemoteIp());
        assertEquals(12345L, pending.getSizeBytes());
        assertEquals("exchange-online-summary", pending.getProvenance().getFormat());

        final MessageTrace failed = r.sink().atLine(4);
        assertEquals(EventType.FAIL, failed.getEventType());
        assertEquals("10.0.0.5", failed.getRemoteIp(), "no ToIP: FromIP");
        assertNull(failed.getSizeBytes());
    }

    @Test
    @DisplayName("enhanced summary report: no event_id, each recipient's last event is where it stands, at origin_timestamp")
    void enhancedSummaryReport(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path tmp) {
        final Fixtures.Replayed r = Fixtures.replayText(tmp, "enhanced_summary.csv",
                "\uFEFF\"origin_timestamp_utc\",\"sender_address\",\"recipient_status\",\"message_subject\",\"total_bytes\","
                        + "\"message_id\",\"network_message_id\",\"original_client_ip\",\"original_server_ip\",\"directionality\","
                        + "\"connector_id\",\"delivery_priority\"\r\n"
                        + "\"2024-03-05T09:00:00.1230000Z\",\"kim@contoso.com\",\"lee@fabrikam.example##Receive, Send;"
                        + "pat@fabrikam.example##Receive, Defer\",\"Order, rush\",\"12345\",\"<e-1@contoso.com>\",\"0e5c-0001\","
                        + "\"10.0.0.5\",\"\",\"2\",\"Outbound to Fabrikam\",\"Normal\"\r\n"
                        + "\"2024-03-05T09:10:00.0000000Z\",\"kim@contoso.com\",\"x@gone.example##Receive, Fail\",\"Hi\",\"100\","
                        + "\"<e-2@contoso.com>\",\"0e5c-0002\",\"10.0.0.5\",\"\",\"Originating\",\"Outbound to Fabrikam\",\"Normal\"\r\n"
                        + "\"2024-03-05T09:20:00.0000000Z\",\"x@spam.example\",\"kim@contoso.com##Receive, Quarantine\",\"Win\",\"900\","
                        + "\"<e-3@spam.example>\",\"0e5c-0003\",\"198.51.100.1\",\"\",\"1\",\"\",\"Normal\"\r\n");
        assertEquals(TraceFormat.EXCHANGE_ONLINE_CSV, r.summary().files().values().iterator().next());
        assertEquals(3, r.summary().records());
        assertEquals(1L, r.summary().skippedByReason().get("exchange event QUARANTINE (unknown event-id)"));

        final List<MessageTrace> first = r.sink().atLines(2);
        assertEquals(List.of("lee@fabrikam.example", "pat@fabrikam.example"), first.stream().map(MessageTrace::getRecipient).toList());
        assertEquals(List.of(EventType.SEND, EventType.DEFER), first.stream().map(MessageTrace::getEventType).toList(),
                "Send delivered it; Defer leaves it queued");
        assertEquals(Instant.parse("2024-03-05T09:00:00.123Z"), first.get(1).getEventTime());
        assertEquals("Outbound to Fabrikam", first.get(1).getConnectorId());
        assertEquals("Receive, Defer", first.get(1).getResponseText());
        assertNull(first.get(1).getStatusCode(), "event names are no SMTP codes");
        assertEquals(Direction.ORIGINATING, first.get(1).getDirection(), "directionality 2 is outbound");
        assertEquals("Order, rush", first.get(1).getSubject());

        assertEquals(EventType.FAIL, r.sink().atLine(3).getEventType());
        assertEquals("x@gone.example", r.sink().atLine(3).getRecipient());
    }

    @Test
    @DisplayName("Get-MessageTraceDetail CSV: events mapped, codes from Detail, connector from Data")
    void messageTraceDetail() {
        // en-US; the StartDate column's 2/26/2024 tells that the file's dates are month first
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.resource("exo_message_trace_detail.csv"));
        assertEquals(TraceFormat.EXCHANGE_ONLINE_DETAIL, r.summary().files().values().iterator().next());
        assertEquals(6, r.summary().records());
        assertEquals(List.of(7L), r.sink().rejectedLines());
        assertEquals(1L, r.summary().skippedByReason().get("message trace detail event 'Spam Diagnostics' (not a delivery event)"));

        final MessageTrace receive = r.sink().atLine(3);
        assertEquals(EventType.RECEIVE, receive.getEventType());
        assertEquals(Instant.parse("2024-03-02T10:00:01Z"), receive.getEventTime(), "3/2/2024 10:00:01 AM, UTC");
        assertEquals("lee@northwind.example", receive.getRecipient());
        assertEquals("kim@contoso.com", receive.getSender());
        assertEquals("4c9a1b7e-5f60-4192-cd34-08dc3d000005", receive.getNetworkMessageId());
        assertEquals(8192L, receive.getSizeBytes());
        assertEquals(Direction.ORIGINATING, receive.getDirection());

        final MessageTrace defer = r.sink().atLine(5);
        assertEquals(EventType.DEFER, defer.getEventType());
        assertEquals("450", defer.getSmtpReply());
        assertEquals("4.4.316", defer.getStatusCode());
        assertEquals("Outbound to Northwind", defer.getConnectorId());

        final MessageTrace deferred = r.sink().atLine(6);
        assertEquals(EventType.DEFER, deferred.getEventType(), "\"Deferred\" is a deferral too");
        assertEquals("4.4.317", deferred.getStatusCode());
        assertEquals("mx.northwind.example", deferred.getRemoteHost());
        assertEquals("203.0.113.40", deferred.getRemoteIp());

        final MessageTrace expired = r.sink().atLine(8);
        assertEquals(EventType.EXPIRE, expired.getEventType());
        assertEquals("4.4.7", expired.getStatusCode());

        final MessageTrace send = r.sink().atLine(9);
        assertEquals(EventType.SEND, send.getEventType(), "\"Send external\"");
        assertEquals("Outbound to Fabrikam", send.getConnectorId());
        assertNull(send.getSmtpReply());
        assertEquals(EventType.DELIVER, r.sink().atLine(10).getEventType());
    }
}
