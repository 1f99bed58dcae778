package io.mailflow.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.NdrReason;
import io.mailflow.avro.NonDeliveryReport;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.Properties;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MultipartReport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("NDRs and delay notices become RFC 3464 multipart/report messages that mail libraries read back")
class DsnMessagesTest {
    private static final Instant ARRIVED = Instant.parse("2026-11-30T08:00:00Z");
    private static final Instant EXPIRED = Instant.parse("2026-12-01T08:00:00Z");

    static NonDeliveryReport expiredNdr() {
        return NonDeliveryReport.newBuilder()
            .setReason(NdrReason.EXPIRED)
            .setMessageId("<q1@fabrikam.example>")
            .setNetworkMessageId("0f3c2a1e-0000-4000-8000-000000000001")
            .setOriginalSender("alice@fabrikam.example")
            .setFinalRecipient("bob@contoso.example")
            .setConnectorId("Outbound to Contoso")
            .setAction("failed")
            .setStatus("4.4.7")
            .setDiagnosticCode("smtp; 550 4.4.7 QUEUE.Expired; message expired -> 451 4.4.316 Connection refused")
            .setReportingMta("EXHUB01.fabrikam.example")
            .setRemoteMta("mail.contoso.example")
            .setArrivalDate(ARRIVED)
            .setFirstDeferralTime(ARRIVED.plusSeconds(60))
            .setLastAttemptDate(Instant.parse("2026-12-01T07:45:00Z"))
            .setExpiryTime(EXPIRED)
            .setAttempts(97)
            .setEventTime(EXPIRED)
            .build();
    }

    private static MimeMessage parse(final byte[] mime) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(mime));
    }

    @Test
    @DisplayName("an expiry NDR has the three report parts and every RFC 3464 field we know")
    void expiryNdr() throws Exception {
        final MimeMessage m = parse(DsnMessages.toMime(expiredNdr()));

        final ContentType type = new ContentType(m.getContentType());
        assertTrue(type.match("multipart/report"), m.getContentType());
        assertEquals("delivery-status", type.getParameter("report-type"));
        assertEquals("MAILER-DAEMON@EXHUB01.fabrikam.example", ((jakarta.mail.internet.InternetAddress) m.getFrom()[0]).getAddress());
        assertEquals("alice@fabrikam.example", m.getRecipients(Message.RecipientType.TO)[0].toString());
        assertEquals("auto-replied", m.getHeader("Auto-Submitted")[0]);
        assertEquals("<q1@fabrikam.example>", m.getHeader("In-Reply-To")[0]);
        assertEquals(EXPIRED, m.getSentDate().toInstant());

        final MultipartReport report = assertInstanceOf(MultipartReport.class, m.getContent());
        assertEquals(3, report.getCount());
        assertTrue(report.getBodyPart(0).isMimeType("text/plain"));
        assertTrue(report.getBodyPart(1).isMimeType("message/delivery-status"));
        assertTrue(report.getBodyPart(2).isMimeType("text/rfc822-headers"));
        assertTrue(report.getText().contains("bob@contoso.example"));

        final DeliveryStatus status = ((DeliveryStatus) report.getReport());
        final InternetHeaders perMessage = status.getMessageDSN();
        assertEquals("dns; EXHUB01.fabrikam.example", perMessage.getHeader("Reporting-MTA", null));
        assertEquals(ARRIVED, new MailDateFormat().parse(perMessage.getHeader("Arrival-Date", null)).toInstant());
        assertEquals(1, status.getRecipientDSNCount());
        final InternetHeaders rcpt = status.getRecipientDSN(0);
        assertEquals("rfc822; bob@contoso.example", rcpt.getHeader("Final-Recipient", null));
        assertEquals("failed", rcpt.getHeader("Action", null));
        assertEquals("4.4.7", rcpt.getHeader("Status", null));
        assertEquals("dns; mail.contoso.example", rcpt.getHeader("Remote-MTA", null));
        assertEquals("smtp; 550 4.4.7 QUEUE.Expired; message expired -> 451 4.4.316 Connection refused",
            rcpt.getHeader("Diagnostic-Code", null));
        assertEquals(Instant.parse("2026-12-01T07:45:00Z"),
            new MailDateFormat().parse(rcpt.getHeader("Last-Attempt-Date", null)).toInstant());
        assertNull(rcpt.getHeader("Will-Retry-Until"), "only delay notices promise a retry");
    }

    @Test
    @DisplayName("a delay notice says delayed and until when the server retries")
    void delayNotice() throws Exception {
        final DelayNotice notice = DelayNotice.newBuilder()
            .setMessageId("<q1@fabrikam.example>").setNetworkMessageId(null)
            .setOriginalSender("alice@fabrikam.example").setFinalRecipient("bob@contoso.example")
            .setConnectorId("Outbound to Contoso").setAction("delayed").setStatus("4.4.316")
            .setDiagnosticCode("smtp; 451 4.4.316 Connection refused").setReportingMta("EXHUB01")
            .setRemoteMta(null).setArrivalDate(ARRIVED).setFirstDeferralTime(ARRIVED)
            .setLastAttemptDate(ARRIVED.plusSeconds(3 * 3600)).setAttempts(13)
            .setEventTime(ARRIVED.plusSeconds(4 * 3600)).setWillRetryUntil(EXPIRED)
            .build();
        final MimeMessage m = parse(DsnMessages.toMime(notice));
        final MultipartReport report = assertInstanceOf(MultipartReport.class, m.getContent());
        final InternetHeaders rcpt = ((DeliveryStatus) report.getReport()).getRecipientDSN(0);
        assertEquals("delayed", rcpt.getHeader("Action", null));
        assertEquals("4.4.316", rcpt.getHeader("Status", null));
        assertEquals(EXPIRED, new MailDateFormat().parse(rcpt.getHeader("Will-Retry-Until", null)).toInstant());
        assertNull(rcpt.getHeader("Remote-MTA"), "unknown fields are left out, not written empty");
    }

    @Test
    @DisplayName("a permanent-failure NDR for the null sender still builds (no To: header) and is byte-for-byte reproducible")
    void nullSender() throws Exception {
        final NonDeliveryReport ndr = NonDeliveryReport.newBuilder(expiredNdr())
            .setReason(NdrReason.PERMANENT_FAILURE).setOriginalSender(null).setStatus("5.1.1")
            .setDiagnosticCode("smtp; 550 5.1.1 User unknown").setExpiryTime(null).build();
        final MimeMessage m = parse(DsnMessages.toMime(ndr));
        assertNull(m.getRecipients(Message.RecipientType.TO));
        final MultipartReport report = assertInstanceOf(MultipartReport.class, m.getContent());
        assertEquals("5.1.1", ((DeliveryStatus) report.getReport()).getRecipientDSN(0).getHeader("Status", null));
        final byte[] headersOnly = report.getBodyPart(2).getInputStream().readAllBytes();
        final String returned = new String(headersOnly, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(returned.contains("Message-ID: <q1@fabrikam.example>"), returned);
        assertTrue(!returned.contains("Date:"), "no invented headers in the returned-message part: " + returned);
        assertTrue(m.getMessageID().endsWith("@EXHUB01.fabrikam.example>"), m.getMessageID());
        assertArrayEquals(stripVolatile(DsnMessages.toMime(ndr)), stripVolatile(DsnMessages.toMime(ndr)));
    }

    @Test
    @DisplayName("on the wire: CRLF on every line, one delivery-status group per recipient and no empty one, the headers a mail client needs")
    void wireFormat() throws Exception {
        final NonDeliveryReport unknownSender = NonDeliveryReport.newBuilder(expiredNdr()).setOriginalSender(null).build();
        final DelayNotice notice = DelayNotice.newBuilder()
            .setMessageId("<q1@fabrikam.example>").setNetworkMessageId(null)
            .setOriginalSender("alice@fabrikam.example").setFinalRecipient("bob@contoso.example")
            .setConnectorId(null).setAction("delayed").setStatus("4.4.316")
            .setDiagnosticCode(null).setReportingMta("EXHUB01").setRemoteMta(null).setArrivalDate(ARRIVED)
            .setFirstDeferralTime(ARRIVED).setLastAttemptDate(null).setAttempts(13)
            .setEventTime(ARRIVED.plusSeconds(4 * 3600)).setWillRetryUntil(EXPIRED)
            .build();
        for (final byte[] mime : java.util.List.of(DsnMessages.toMime(expiredNdr()), DsnMessages.toMime(unknownSender),
                DsnMessages.toMime(notice))) {
            assertOnlyCrlf(mime, "the whole message");
            final MimeMessage m = parse(mime);
            final MultipartReport report = assertInstanceOf(MultipartReport.class, m.getContent());
            assertEquals(3, report.getCount());
            final byte[] text = report.getBodyPart(0).getInputStream().readAllBytes();
            assertOnlyCrlf(text, "the text/plain part");
            assertTrue(new String(text, java.nio.charset.StandardCharsets.US_ASCII).contains(".\r\n\r\n"), "paragraphs survive");

            // RFC 3464 2.1: per-message fields, then per-recipient fields, groups separated by one blank line
            final String status = new String(((jakarta.mail.internet.MimeBodyPart) report.getBodyPart(1)).getRawInputStream()
                .readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            final String[] groups = status.split("\r\n\r\n", -1);
            assertEquals(2, groups.length, "one per-message group and one recipient group, nothing after: " + status);
            assertTrue(groups[0].startsWith("Reporting-MTA: dns; "), groups[0]);
            assertTrue(groups[1].startsWith("Final-Recipient: rfc822; bob@contoso.example\r\n"), groups[1]);
            assertTrue(groups[1].endsWith("\r\n") && !groups[1].isBlank(), "the last group ends its last field, then the boundary");

            final String returned = new String(((jakarta.mail.internet.MimeBodyPart) report.getBodyPart(2)).getRawInputStream()
                .readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            assertTrue(!returned.contains("MIME-Version"), "no invented headers in the returned-message part: " + returned);

            assertTrue(m.getFrom()[0].toString().contains("MAILER-DAEMON@"), "From: the reporting MTA's mailer daemon");
            assertEquals(1, m.getHeader("Subject").length);
            assertEquals(1, m.getHeader("Message-ID").length);
            assertEquals(1, m.getHeader("Date").length);
            assertEquals("auto-replied", m.getHeader("Auto-Submitted")[0]);
        }
        assertNull(parse(DsnMessages.toMime(unknownSender)).getHeader("To"),
            "an unknown original sender: no To:, so the report cannot be sent by accident (docs/queue-tracking.md)");
        assertEquals("alice@fabrikam.example", parse(DsnMessages.toMime(notice)).getHeader("To")[0]);
    }

    private static void assertOnlyCrlf(final byte[] bytes, final String what) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                assertTrue(i > 0 && bytes[i - 1] == '\r', what + ": bare LF at byte " + i);
            } else if (bytes[i] == '\r') {
                assertTrue(i + 1 < bytes.length && bytes[i + 1] == '\n', what + ": bare CR at byte " + i);
            }
        }
    }

    /** MIME boundaries are unique per build by design; everything else, Message-ID included, must repeat. */
    private static byte[] stripVolatile(final byte[] mime) {
        return new String(mime, java.nio.charset.StandardCharsets.UTF_8)
            .replaceAll("----=_Part_[0-9_.]+", "B")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
