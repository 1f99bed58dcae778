package io.mailflow.generate;

import io.mailflow.avro.EventType;

/**
 * Exchange Server / Exchange Online wording: 450 4.4.31x replies with the bracketed details
 * Exchange appends, FAIL with {@code 550 4.4.7 QUEUE.Expired} on expiry.
 */
public final class ExchangeDialect implements MtaDialect {
    public static final ExchangeDialect INSTANCE = new ExchangeDialect();

    private ExchangeDialect() {
    }

    @Override
    public String name() {
        return "exchange";
    }

    @Override
    public boolean hasNetworkMessageId() {
        return true;
    }

    @Override
    public String internalMessageId(final long sequence, final long randomBits) {
        // Exchange's internal-message-id is a per-server counter in the 10^12..10^13 range.
        return Long.toString(64_000_000_000_000L + sequence);
    }

    @Override
    public String defaultServer(final int index) {
        return String.format("EX%02d", index + 1);
    }

    /** The receive connector a message came in on, as Exchange names it: {@code SERVER\Default Frontend SERVER}. */
    static String receiveConnector(final String server) {
        return server + "\\Default Frontend " + server;
    }

    @Override
    public Reply received(final SimulatedMessage m) {
        return new Reply(EventType.RECEIVE, receiveConnector(m.server), null, null, null, m.clientHost, m.clientIp);
    }

    @Override
    public Reply delivered(final SimulatedMessage m) {
        if (m.connector.local()) {
            return new Reply(EventType.DELIVER, null, null, null, null, m.server, null);
        }
        return new Reply(EventType.SEND, m.connector.name(), "250", "2.1.5", "250 2.1.5 Recipient OK",
            m.destinationHost, m.destinationIp);
    }

    @Override
    public Reply deferred(final SimulatedMessage m, final TransientFailure failure) {
        final String target = " [LastAttemptedServerName=" + m.destinationHost + "] [LastAttemptedIP=" + m.destinationIp + ":25]";
        final String text = switch (failure) {
            case DNS_QUERY_FAILED -> "450 4.4.312 DNS query failed [Message=InfoDomainNonexistent] [LastAttemptedServerName="
                + m.destinationHost + "]";
            case CONNECTION_TIMED_OUT -> "450 4.4.315 Connection timed out [Message=Timeout occurred]" + target;
            case CONNECTION_REFUSED -> "450 4.4.316 Connection refused [Message=Socket error code 10061]" + target;
            case CANNOT_CONNECT -> "450 4.4.317 Cannot connect to remote server [Message=Socket error code 10065]" + target;
            case CONNECTION_CLOSED -> "450 4.4.318 Connection was closed abruptly [Message=Socket error code 10054]" + target;
            case CERTIFICATE_VALIDATION_FAILED -> "450 4.7.320 Certificate validation failed [Message=CertificateExpired]" + target;
            case SERVER_BUSY -> "451 4.7.500 Server busy. Please try again later from [" + m.destinationIp + "]. (S77719)";
            case CONNECTION_DROPPED -> "421 4.4.2 Connection dropped due to SocketError" + target;
        };
        final String smtp = text.substring(0, 3);
        final boolean noConnection = failure == TransientFailure.DNS_QUERY_FAILED;
        return new Reply(EventType.DEFER, m.connector.name(), smtp, failure.exchangeCode(), text,
            m.destinationHost, noConnection ? null : m.destinationIp);
    }

    @Override
    public Reply rejected(final SimulatedMessage m, final String recipient, final PermanentFailure failure) {
        final String text = switch (failure) {
            case UNKNOWN_RECIPIENT -> m.connector.local()
                ? "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"
                : "550 5.1.1 <" + recipient + ">: Recipient address rejected: User unknown in virtual mailbox table";
            case POLICY_REJECTION -> "550 5.7.1 Message rejected by the recipient's policy [" + m.destinationHost + "]";
        };
        return new Reply(EventType.FAIL, m.connector.local() ? null : m.connector.name(), "550", failure.code(), text,
            m.connector.local() ? m.server : m.destinationHost, m.connector.local() ? null : m.destinationIp);
    }

    @Override
    public Reply expired(final SimulatedMessage m) {
        return new Reply(EventType.FAIL, m.connector.name(), "550", "4.4.7", "550 4.4.7 QUEUE.Expired; message expired",
            m.destinationHost, m.destinationIp);
    }
}
