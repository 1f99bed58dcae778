package io.mailflow.ingest;

import io.mailflow.avro.MessageTrace;

/**
 * The Kafka key of a trace record. Every event of one message must land on one partition, so the
 * queue tracker sees a message's deferrals, deliveries and expiry in one task: we key by the
 * most global id the log gives (network-message-id, then Message-ID, then the server-local id
 * qualified by the server).
 */
public final class MessageKeys {
    private MessageKeys() {
    }

    public static String of(final MessageTrace trace) {
        if (notBlank(trace.getNetworkMessageId())) {
            return trace.getNetworkMessageId();
        }
        if (notBlank(trace.getMessageId())) {
            return trace.getMessageId();
        }
        if (notBlank(trace.getInternalMessageId())) {
            final String server = trace.getSourceServer() == null ? "" : trace.getSourceServer();
            return server + "/" + trace.getInternalMessageId();
        }
        return "unknown";
    }

    private static boolean notBlank(final String s) {
        return s != null && !s.isBlank();
    }
}
