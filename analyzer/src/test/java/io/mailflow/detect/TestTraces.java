package io.mailflow.detect;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.time.Instant;

/** Trace records as the parsers produce them, for specifications. */
public final class TestTraces {
    public static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");

    private TestTraces() {
    }

    public static MessageTrace.Builder trace(final EventType type, final Instant at) {
        return MessageTrace.newBuilder()
            .setEventTime(at)
            .setEventType(type)
            .setProvenance(Provenance.newBuilder().setFormat("test").build());
    }

    /** A deferral as Exchange Online logs it: code on the record, details in the text. */
    public static MessageTrace deferral(final String connector, final String code, final Instant at, final String messageId) {
        return trace(EventType.DEFER, at).setConnectorId(connector).setMessageId(messageId).setRecipient("user@contoso.com")
            .setSmtpReply("450").setStatusCode(code)
            .setResponseText("450 " + code + " Connection refused [Message=Socket error code 10061] "
                + "[LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.10:25]")
            .build();
    }

    public static MessageTrace delivery(final String connector, final Instant at, final String messageId) {
        return trace(EventType.SEND, at).setConnectorId(connector).setMessageId(messageId).setRecipient("user@contoso.com")
            .setSmtpReply("250").setStatusCode("2.0.0").setResponseText("250 2.0.0 OK").setRemoteHost("mail.contoso.com")
            .build();
    }

    public static MessageTrace permanentFailure(final String connector, final Instant at, final String messageId) {
        return trace(EventType.FAIL, at).setConnectorId(connector).setMessageId(messageId).setRecipient("nobody@contoso.com")
            .setSmtpReply("550").setStatusCode("5.1.10").setResponseText("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found")
            .build();
    }

    public static Instant minutes(final double m) {
        return T0.plusMillis(Math.round(m * 60_000));
    }
}
