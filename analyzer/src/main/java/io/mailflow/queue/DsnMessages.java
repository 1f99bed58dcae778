package io.mailflow.queue;

import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.NdrReason;
import io.mailflow.avro.NonDeliveryReport;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.Properties;
import java.util.TimeZone;
import java.util.UUID;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MessageHeaders;
import org.eclipse.angus.mail.dsn.MultipartReport;

/**
 * NDRs and delay notices as ready-to-send RFC 3464 messages: {@code multipart/report;
 * report-type=delivery-status} with a human-readable part, the {@code message/delivery-status}
 * part (per-message and per-recipient fields) and the returned message's headers as far as the
 * trace knows them ({@code text/rfc822-headers}). Built with Angus Mail and its DSN support;
 * every line ends in CRLF.
 *
 * <p><b>Unknown original sender.</b> When the traces do not name the original sender, the report
 * has no {@code To:} header. Mostly the failed message was itself sent with the null reverse-path
 * (a bounce or an auto-reply), and RFC 5321 (section 4.5.5) forbids answering those with another
 * notification; otherwise the sender's line is simply not in the replayed logs. Either way there
 * is nobody this code can address it to: {@code postmaster@} the reporting MTA's host name is
 * rarely a mailbox. A message without recipients is refused by {@code sendmail -t} and by mail
 * clients, so it cannot go out by accident; docs/queue-tracking.md ("Ready-to-send messages") says
 * what to do with one.
 */
public final class DsnMessages {
    private static final TimeZone UTC = TimeZone.getTimeZone("UTC");
    private static final Session SESSION = Session.getInstance(new Properties());

    private DsnMessages() {
    }

    public static byte[] toMime(final NonDeliveryReport ndr) {
        final String recipient = ndr.getFinalRecipient();
        final InternetHeaders perMessage = perMessage(ndr.getReportingMta(), ndr.getArrivalDate());
        final InternetHeaders perRecipient = new InternetHeaders();
        perRecipient.addHeader("Final-Recipient", "rfc822; " + recipient);
        perRecipient.addHeader("Action", ndr.getAction());
        perRecipient.addHeader("Status", ndr.getStatus());
        addIfPresent(perRecipient, "Remote-MTA", ndr.getRemoteMta() == null ? null : "dns; " + ndr.getRemoteMta());
        perRecipient.addHeader("Diagnostic-Code", ndr.getDiagnosticCode());
        addIfPresent(perRecipient, "Last-Attempt-Date", date(ndr.getLastAttemptDate()));
        final boolean expired = ndr.getReason() == NdrReason.EXPIRED;
        final String text = expired
            ? "Your message could not be delivered to " + recipient + ".\n\n"
                + "The receiving server could not be reached for " + describe(ndr.getFirstDeferralTime(), ndr.getExpiryTime())
                + "; the message expired in the queue" + (ndr.getConnectorId() == null ? "" : " of connector " + ndr.getConnectorId())
                + " after " + ndr.getAttempts() + " attempt(s).\n\nLast error: " + ndr.getDiagnosticCode() + "\n"
            : "Your message could not be delivered to " + recipient + ".\n\n"
                + "The receiving server rejected it permanently:\n    " + ndr.getDiagnosticCode() + "\n";
        return build(ndr.getReportingMta(), ndr.getOriginalSender(), "Undeliverable: message to " + recipient,
            ndr.getEventTime(), ndr.getMessageId(), recipient, text, perMessage, perRecipient);
    }

    public static byte[] toMime(final DelayNotice notice) {
        final String recipient = notice.getFinalRecipient();
        final InternetHeaders perMessage = perMessage(notice.getReportingMta(), notice.getArrivalDate());
        final InternetHeaders perRecipient = new InternetHeaders();
        perRecipient.addHeader("Final-Recipient", "rfc822; " + recipient);
        perRecipient.addHeader("Action", notice.getAction());
        perRecipient.addHeader("Status", notice.getStatus());
        addIfPresent(perRecipient, "Remote-MTA", notice.getRemoteMta() == null ? null : "dns; " + notice.getRemoteMta());
        addIfPresent(perRecipient, "Diagnostic-Code", notice.getDiagnosticCode());
        addIfPresent(perRecipient, "Last-Attempt-Date", date(notice.getLastAttemptDate()));
        perRecipient.addHeader("Will-Retry-Until", date(notice.getWillRetryUntil()));
        final String text = "Delivery of your message to " + recipient + " has been delayed.\n\n"
            + "The server will keep trying until " + date(notice.getWillRetryUntil()) + "; you do not need to resend it.\n"
            + (notice.getDiagnosticCode() == null ? "" : "\nLast error: " + notice.getDiagnosticCode() + "\n");
        return build(notice.getReportingMta(), notice.getOriginalSender(), "Delayed: message to " + recipient,
            notice.getEventTime(), notice.getMessageId(), recipient, text, perMessage, perRecipient);
    }

    private static byte[] build(final String reportingMta, final String originalSender, final String subject, final Instant date,
                                final String messageId, final String recipient, final String text,
                                final InternetHeaders perMessage, final InternetHeaders perRecipient) {
        // RFC 5322 and RFC 2046: every line of a message ends in CRLF, the human-readable part's too
        // (the library writes our text as it is, and it was written with \n)
        final String crlfText = text.replace("\r\n", "\n").replace("\n", "\r\n");
        try {
            final MimeMessage message = new DsnMessage(SESSION, stableMessageId(reportingMta, subject, date, messageId, recipient));
            message.setFrom(address("MAILER-DAEMON@" + reportingMta, "Mail Delivery System"));
            // An unknown original sender gets no To: (see the class doc): such a report cannot be
            // sent by accident, and sending it is a decision for the person who reads it.
            if (originalSender != null) {
                message.setRecipient(Message.RecipientType.TO, address(originalSender, null));
            }
            message.setSubject(subject, "UTF-8");
            message.setSentDate(Date.from(date));
            // RFC 3834: never answer this automatically
            message.setHeader("Auto-Submitted", "auto-replied");
            if (messageId != null) {
                message.setHeader("In-Reply-To", messageId);
                message.setHeader("References", messageId);
            }
            final DeliveryStatus status = new Rfc3464DeliveryStatus();
            status.setMessageDSN(perMessage);
            status.addRecipientDSN(perRecipient);
            final InternetHeaders returned = new InternetHeaders();
            addIfPresent(returned, "Message-ID", messageId);
            addIfPresent(returned, "From", originalSender);
            returned.addHeader("To", recipient);
            final MultipartReport report = new MultipartReport(crlfText, status);
            report.setReturnedMessage(new ReturnedHeaders(returned)); // as text/rfc822-headers
            message.setContent(report);
            message.saveChanges();
            final ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
            message.writeTo(out);
            return out.toByteArray();
        } catch (final MessagingException e) {
            throw new IllegalStateException("Cannot build the DSN message for " + recipient, e);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The same report always gets the same Message-ID (derived from what it reports), so a
     * report sent twice, e.g. after a retry, can be recognised as one by the receiving side.
     */
    private static String stableMessageId(final String reportingMta, final String kind, final Instant date,
                                          final String messageId, final String recipient) {
        final String seed = kind + '|' + date + '|' + messageId + '|' + recipient;
        return "<" + UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)) + "@" + reportingMta + ">";
    }

    /** A message whose Message-ID is ours, not the library's host-based one. */
    private static final class DsnMessage extends MimeMessage {
        private final String id;

        DsnMessage(final Session session, final String id) {
            super(session);
            this.id = id;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", id);
        }
    }

    /**
     * The message/delivery-status part as RFC 3464 section 2.1 has it: the per-message fields,
     * then each recipient's fields, the groups separated by one blank line. The library also ends
     * the last group with a blank line, and a reader that splits the part at blank lines (as the
     * grammar invites) then finds an extra, empty recipient group: that last blank line is left out.
     */
    private static final class Rfc3464DeliveryStatus extends DeliveryStatus {
        Rfc3464DeliveryStatus() throws MessagingException {
            super();
        }

        @Override
        public void writeTo(final java.io.OutputStream os) throws IOException {
            final ByteArrayOutputStream groups = new ByteArrayOutputStream(512);
            super.writeTo(groups);
            final byte[] bytes = groups.toByteArray();
            final int n = bytes.length;
            final boolean endsWithBlankLine = n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n'
                && bytes[n - 2] == '\r' && bytes[n - 1] == '\n';
            os.write(bytes, 0, endsWithBlankLine ? n - 2 : n);
        }
    }

    /**
     * The text/rfc822-headers part: a record of the returned message's headers. A plain
     * MessageHeaders would stamp its own Message-ID and today's Date onto it.
     */
    private static final class ReturnedHeaders extends MessageHeaders {
        ReturnedHeaders(final InternetHeaders headers) throws MessagingException {
            super(headers);
        }

        @Override
        protected void updateHeaders() throws MessagingException {
            final String[] date = getHeader("Date");
            final String[] mimeVersion = getHeader("MIME-Version");
            super.updateHeaders();
            if (date == null) {
                removeHeader("Date");
            }
            if (mimeVersion == null) {
                removeHeader("MIME-Version");
            }
        }

        @Override
        protected void updateMessageID() {
            // keep the returned message's own Message-ID (or none)
        }
    }

    private static InternetHeaders perMessage(final String reportingMta, final Instant arrival) {
        final InternetHeaders h = new InternetHeaders();
        h.addHeader("Reporting-MTA", "dns; " + reportingMta);
        addIfPresent(h, "Arrival-Date", date(arrival));
        return h;
    }

    /** Addresses from logs are not always RFC 5322-clean: take them as logged rather than fail. */
    private static InternetAddress address(final String address, final String personal) {
        final InternetAddress a = new InternetAddress();
        a.setAddress(address);
        if (personal != null) {
            try {
                a.setPersonal(personal, "UTF-8");
            } catch (final java.io.UnsupportedEncodingException e) {
                throw new IllegalStateException(e);
            }
        }
        return a;
    }

    private static String date(final Instant t) {
        if (t == null) {
            return null;
        }
        final MailDateFormat format = new MailDateFormat();
        format.setTimeZone(UTC); // the same bytes on every machine
        return format.format(Date.from(t));
    }

    private static String describe(final Instant from, final Instant to) {
        if (from == null || to == null) {
            return "too long";
        }
        final long hours = Math.max(0, (to.toEpochMilli() - from.toEpochMilli()) / 3_600_000L);
        return "about " + hours + " hour(s)";
    }

    private static void addIfPresent(final InternetHeaders h, final String name, final String value) {
        if (value != null && !value.isBlank()) {
            h.addHeader(name, value);
        }
    }
}
