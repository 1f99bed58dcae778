package io.mailflow.generate;

import io.mailflow.avro.EventType;

/**
 * Postfix wording: {@code dsn=4.4.1 status=deferred (connect to host[ip]:25: Connection refused)}
 * for connection failures, remote replies quoted as {@code host H[ip] said: ...}, and the
 * message-level {@code status=expired, returned to sender} when the queue lifetime runs out.
 * Postfix logs no connector name: the connector is the relay host (the next hop) it used.
 */
public final class PostfixDialect implements MtaDialect {
    public static final PostfixDialect INSTANCE = new PostfixDialect();
    private static final char[] QUEUE_ID_ALPHABET = "0123456789ABCDEF".toCharArray();

    private PostfixDialect() {
    }

    @Override
    public String name() {
        return "postfix";
    }

    @Override
    public boolean hasNetworkMessageId() {
        return false;
    }

    @Override
    public String internalMessageId(final long sequence, final long randomBits) {
        // Short Postfix queue ids: 10 or 11 upper-case hex digits; random bits keep them unique-looking.
        final char[] id = new char[10];
        long bits = randomBits ^ (sequence * 0x9E3779B97F4A7C15L);
        for (int i = 0; i < id.length; i++) {
            id[i] = QUEUE_ID_ALPHABET[(int) (bits & 0xF)];
            bits >>>= 4;
        }
        return new String(id);
    }

    @Override
    public String defaultServer(final int index) {
        return "mx" + (index + 1);
    }

    private static String relayOf(final SimulatedMessage m) {
        return m.connector.local() ? "local" : m.destinationHost;
    }

    @Override
    public Reply received(final SimulatedMessage m) {
        return new Reply(EventType.RECEIVE, null, null, null, null, m.clientHost, m.clientIp);
    }

    @Override
    public Reply delivered(final SimulatedMessage m) {
        if (m.connector.local()) {
            return new Reply(EventType.DELIVER, "local", null, "2.0.0", "delivered to mailbox", "local", null);
        }
        return new Reply(EventType.SEND, relayOf(m), "250", "2.0.0", "250 2.0.0 Ok: queued as " + queuedAs(m),
            m.destinationHost, m.destinationIp);
    }

    private static String queuedAs(final SimulatedMessage m) {
        return Integer.toHexString(m.internalMessageId.hashCode() & 0x7fffffff).toUpperCase(java.util.Locale.ROOT);
    }

    @Override
    public Reply deferred(final SimulatedMessage m, final TransientFailure failure) {
        final String hostIp = m.destinationHost + "[" + m.destinationIp + "]";
        final String dsn;
        final String text;
        String smtp = null;
        switch (failure) {
            case DNS_QUERY_FAILED -> {
                dsn = "4.4.3";
                text = "Host or domain name not found. Name service error for name=" + m.recipientDomain()
                    + " type=MX: Host not found, try again";
            }
            case CONNECTION_TIMED_OUT -> {
                dsn = "4.4.1";
                text = "connect to " + hostIp + ":25: Connection timed out";
            }
            case CONNECTION_REFUSED -> {
                dsn = "4.4.1";
                text = "connect to " + hostIp + ":25: Connection refused";
            }
            case CANNOT_CONNECT -> {
                dsn = "4.4.1";
                text = "connect to " + hostIp + ":25: No route to host";
            }
            case CONNECTION_CLOSED -> {
                dsn = "4.4.2";
                text = "lost connection with " + hostIp + " while receiving the initial server greeting";
            }
            case CERTIFICATE_VALIDATION_FAILED -> {
                dsn = "4.7.5";
                text = "Server certificate not verified";
            }
            case SERVER_BUSY -> {
                dsn = "4.7.1";
                smtp = "451";
                text = "host " + hostIp + " said: 451 4.7.1 Service unavailable - try again later (in reply to RCPT TO command)";
            }
            case CONNECTION_DROPPED -> {
                dsn = "4.4.2";
                smtp = "421";
                text = "host " + hostIp + " said: 421 4.4.2 Connection dropped (in reply to end of DATA command)";
            }
            default -> throw new IllegalStateException("unreachable");
        }
        final boolean noRelay = failure == TransientFailure.DNS_QUERY_FAILED;
        return new Reply(EventType.DEFER, noRelay ? "none" : relayOf(m), smtp, dsn, text,
            noRelay ? null : m.destinationHost, noRelay ? null : m.destinationIp);
    }

    @Override
    public Reply rejected(final SimulatedMessage m, final String recipient, final PermanentFailure failure) {
        if (m.connector.local()) {
            return new Reply(EventType.FAIL, "local", null, "5.1.1",
                "unknown user: \"" + recipient.substring(0, recipient.indexOf('@')) + "\"", "local", null);
        }
        final String said = "host " + m.destinationHost + "[" + m.destinationIp + "] said: ";
        final String text = switch (failure) {
            case UNKNOWN_RECIPIENT -> said + "550 5.1.1 <" + recipient + ">: Recipient address rejected: User unknown (in reply to RCPT TO command)";
            case POLICY_REJECTION -> said + "550 5.7.1 <" + recipient + ">: Relay access denied (in reply to RCPT TO command)";
        };
        return new Reply(EventType.FAIL, relayOf(m), "550", failure.code(), text, m.destinationHost, m.destinationIp);
    }

    @Override
    public Reply expired(final SimulatedMessage m) {
        return new Reply(EventType.EXPIRE, relayOf(m), null, null, "expired, returned to sender", m.destinationHost, m.destinationIp);
    }
}
