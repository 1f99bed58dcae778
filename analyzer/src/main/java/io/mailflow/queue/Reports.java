package io.mailflow.queue;

import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NdrReason;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.avro.internal.QueuedRecipient;
import io.mailflow.classify.Classification;
import java.time.Instant;

/** Builds the RFC 3464 records: expiry NDRs, permanent-failure NDRs and delay notices. */
final class Reports {
    private Reports() {
    }

    /** Our own expiry: the recipient has been queued {@code expireAfter} at {@code deadline}. */
    static NonDeliveryReport expired(final QueuedRecipient s, final long deadline, final String defaultReportingMta) {
        return fromState(s, defaultReportingMta)
            .setReason(NdrReason.EXPIRED)
            .setStatus("4.4.7")
            .setDiagnosticCode(FailureText.expiredDiagnostic(s.getLastError()))
            .setExpiryTime(at(deadline))
            .setEventTime(at(deadline))
            .build();
    }

    /**
     * The MTA logged the expiry itself: the report follows its record (time, server, text), filled
     * in from the queue state when we have it.
     */
    static NonDeliveryReport expiredByMta(final MessageTrace trace, final Classification c, final QueuedRecipient s,
                                          final ArrivalInfo arrival, final long time, final String defaultReportingMta) {
        final String logged = FailureText.errorOf(trace, c);
        final String lastError = s == null ? null : s.getLastError();
        final String diagnostic = logged != null && !logged.equals(c.smtpReply())
            ? FailureText.diagnostic(logged)
            : FailureText.expiredDiagnostic(lastError);
        final NonDeliveryReport.Builder b = s != null ? fromState(s, defaultReportingMta) : fromTrace(trace, c, arrival, defaultReportingMta);
        final String server = FailureText.trimToNull(trace.getSourceServer());
        if (server != null) {
            b.setReportingMta(server);
        }
        return b.setReason(NdrReason.EXPIRED)
            .setStatus("4.4.7")
            .setDiagnosticCode(diagnostic)
            .setExpiryTime(at(time))
            .setEventTime(at(time))
            .build();
    }

    /** A FAIL or 5.x.x reply: returned to the sender at the time of the failure. */
    static NonDeliveryReport permanentFailure(final MessageTrace trace, final Classification c, final QueuedRecipient s,
                                              final ArrivalInfo arrival, final long time, final String defaultReportingMta) {
        final String error = FailureText.errorOf(trace, c);
        final String status = FailureText.permanentStatus(c);
        final NonDeliveryReport.Builder b = fromTrace(trace, c, arrival, defaultReportingMta);
        if (s != null) {
            b.setArrivalDate(s.getArrivalDate() != null ? at(s.getArrivalDate()) : b.getArrivalDate())
                .setFirstDeferralTime(at(s.getFirstDeferralTime()))
                .setAttempts(s.getAttempts() + (isAttempt(trace) ? 1 : 0));
            fillMissing(b, s);
        }
        return b.setReason(NdrReason.PERMANENT_FAILURE)
            .setStatus(status)
            .setDiagnosticCode(FailureText.diagnostic(error != null ? error : "550 " + status))
            .setExpiryTime(null)
            .setEventTime(at(time))
            .build();
    }

    static DelayNotice delayNotice(final QueuedRecipient s, final long noticeTime, final long willRetryUntil,
                                   final String defaultReportingMta) {
        return DelayNotice.newBuilder()
            .setMessageId(s.getMessageId())
            .setNetworkMessageId(s.getNetworkMessageId())
            .setOriginalSender(s.getOriginalSender())
            .setFinalRecipient(s.getRecipient())
            .setConnectorId(s.getConnectorId())
            .setAction("delayed")
            .setStatus(s.getLastStatusCode() != null ? s.getLastStatusCode() : "4.0.0")
            .setDiagnosticCode(s.getLastError() == null ? null : FailureText.diagnostic(s.getLastError()))
            .setReportingMta(s.getReportingMta() != null ? s.getReportingMta() : defaultReportingMta)
            .setRemoteMta(s.getRemoteMta())
            .setArrivalDate(at(s.getArrivalDate()))
            .setFirstDeferralTime(at(s.getFirstDeferralTime()))
            .setLastAttemptDate(at(s.getLastAttemptTime()))
            .setAttempts(s.getAttempts())
            .setEventTime(at(noticeTime))
            .setWillRetryUntil(at(willRetryUntil))
            .build();
    }

    private static NonDeliveryReport.Builder fromState(final QueuedRecipient s, final String defaultReportingMta) {
        return NonDeliveryReport.newBuilder()
            .setMessageId(s.getMessageId())
            .setNetworkMessageId(s.getNetworkMessageId())
            .setOriginalSender(s.getOriginalSender())
            .setFinalRecipient(s.getRecipient())
            .setConnectorId(s.getConnectorId())
            .setAction("failed")
            .setReportingMta(s.getReportingMta() != null ? s.getReportingMta() : defaultReportingMta)
            .setRemoteMta(s.getRemoteMta())
            .setArrivalDate(at(s.getArrivalDate()))
            .setFirstDeferralTime(at(s.getFirstDeferralTime()))
            .setLastAttemptDate(at(s.getLastAttemptTime()))
            .setAttempts(s.getAttempts());
    }

    private static NonDeliveryReport.Builder fromTrace(final MessageTrace trace, final Classification c,
                                                       final ArrivalInfo arrival, final String defaultReportingMta) {
        final String server = FailureText.trimToNull(trace.getSourceServer());
        final String sender = FailureText.originalSender(trace);
        final ArrivalInfo a = arrival;
        return NonDeliveryReport.newBuilder()
            .setMessageId(trace.getMessageId() != null ? trace.getMessageId() : a == null ? null : a.messageId())
            .setNetworkMessageId(trace.getNetworkMessageId())
            .setOriginalSender(sender != null ? sender : a == null ? null : a.originalSender())
            .setFinalRecipient(trace.getRecipient() == null ? "" : trace.getRecipient().trim())
            .setConnectorId(trace.getConnectorId())
            .setAction("failed")
            .setReportingMta(server != null ? server : defaultReportingMta)
            .setRemoteMta(FailureText.remoteMta(c))
            .setArrivalDate(at(arrivalTime(arrival, trace, trace.getEventTime().toEpochMilli())))
            .setFirstDeferralTime(null)
            .setLastAttemptDate(isAttempt(trace) ? trace.getEventTime() : null)
            .setAttempts(isAttempt(trace) ? 1 : 0);
    }

    private static void fillMissing(final NonDeliveryReport.Builder b, final QueuedRecipient s) {
        if (b.getMessageId() == null) {
            b.setMessageId(s.getMessageId());
        }
        if (b.getNetworkMessageId() == null) {
            b.setNetworkMessageId(s.getNetworkMessageId());
        }
        if (b.getOriginalSender() == null) {
            b.setOriginalSender(s.getOriginalSender());
        }
        if (b.getConnectorId() == null) {
            b.setConnectorId(s.getConnectorId());
        }
        if (b.getRemoteMta() == null) {
            b.setRemoteMta(s.getRemoteMta());
        }
    }

    static boolean isAttempt(final MessageTrace trace) {
        return switch (trace.getEventType()) {
            case SEND, DELIVER, DEFER, FAIL -> true;
            default -> false;
        };
    }

    /** Avro's timestamp-millis fields are Instants; state keeps plain epoch millis. */
    static Instant at(final Long epochMillis) {
        return epochMillis == null ? null : Instant.ofEpochMilli(epochMillis);
    }

    /** What was remembered about the message's arrival: RECEIVE time and the message-level fields. */
    record ArrivalInfo(long time, String originalSender, String subject, String messageId) {
    }

    /**
     * When the message arrived, as far as known: the earlier of its RECEIVE ({@code received},
     * when still remembered) and the arrival the trace line itself tells (Postfix delay=,
     * Exchange Online origin_timestamp), never after the event at {@code time}; null when
     * neither is known.
     */
    static Long arrivalTime(final ArrivalInfo received, final MessageTrace trace, final long time) {
        final Instant told = trace.getArrivalTime();
        final Long fromLine = told == null || told.toEpochMilli() > time ? null : told.toEpochMilli();
        if (received == null) {
            return fromLine;
        }
        return fromLine == null ? received.time() : Math.min(received.time(), fromLine);
    }
}
