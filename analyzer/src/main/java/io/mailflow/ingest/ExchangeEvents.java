package io.mailflow.ingest;

import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Exchange event-ids (tracking logs and the Exchange Online extended report) to {@link EventType}.
 * Events the analyzer never acts on (shadow redundancy, agent and MAPI notifications, throttling,
 * moderation, duplicates) are skipped and counted per event-id rather than sent as OTHER: they
 * would only add volume to the trace topic, and HAREDIRECT lines list recipients that have not
 * been delivered, which a queue tracker must not mistake for deliveries.
 */
final class ExchangeEvents {
    private static final Map<String, EventType> MAPPED = Map.ofEntries(
            Map.entry("RECEIVE", EventType.RECEIVE),
            Map.entry("SUBMIT", EventType.SUBMIT),
            Map.entry("SEND", EventType.SEND),
            Map.entry("SENDEXTERNAL", EventType.SEND),
            Map.entry("DELIVER", EventType.DELIVER),
            Map.entry("DEFER", EventType.DEFER),
            Map.entry("FAIL", EventType.FAIL),
            Map.entry("DSN", EventType.DSN),
            Map.entry("EXPAND", EventType.EXPAND),
            Map.entry("REDIRECT", EventType.REDIRECT),
            Map.entry("RESOLVE", EventType.RESOLVE),
            Map.entry("TRANSFER", EventType.TRANSFER),
            Map.entry("DROP", EventType.DROP));

    /** Documented event-ids that are valid but carry no delivery outcome. */
    private static final Set<String> NOT_ACTED_ON = Set.of(
            "HAREDIRECT", "HARECEIVE", "HADISCARD", "HAREDIRECTFAIL", "AGENTINFO", "NOTIFYMAPI",
            "THROTTLE", "POISONMESSAGE", "SUBMITDEFER", "SUBMITFAIL", "RESUBMIT", "BADMAIL",
            "PROCESS", "INITMESSAGECREATED", "MODERATORREJECT", "MODERATORAPPROVE",
            "MODERATORSALLNDR", "MODERATIONEXPIRE", "DUPLICATEDELIVER", "DUPLICATEEXPAND",
            "DUPLICATEREDIRECT", "CLIENTSUBMISSION", "SAFETYNETSUBMIT", "SUBMITAGENT", "PROCESSINGERROR");

    private ExchangeEvents() {
    }

    /** The event type, or null when the event is skipped (see {@link #skipReason}). */
    static EventType map(final String eventId) {
        return MAPPED.get(eventId.trim().toUpperCase(Locale.ROOT));
    }

    static String skipReason(final String eventId) {
        final String id = eventId.trim().toUpperCase(Locale.ROOT);
        return NOT_ACTED_ON.contains(id)
                ? "exchange event " + id + " (not a delivery event)"
                : "exchange event " + id + " (unknown event-id)";
    }

    /**
     * Exchange logs an expired message as FAIL with 4.4.7 QUEUE.Expired (or, in newer builds,
     * 5.4.300 "Message expired -> last error"); we report those as EXPIRE so the queue tracker
     * can tell an expiry from a permanent rejection.
     */
    static EventType refineFailure(final EventType type, final String enhanced, final String text) {
        if (type != EventType.FAIL) {
            return type;
        }
        if ("4.4.7".equals(enhanced) || "5.4.300".equals(enhanced)
                || (text != null && (text.contains("QUEUE.Expired") || text.contains("Message expired")))) {
            return EventType.EXPIRE;
        }
        return type;
    }

    static Direction direction(final String directionality) {
        if (directionality == null) {
            return Direction.UNKNOWN;
        }
        return switch (directionality.trim().toLowerCase(Locale.ROOT)) {
            // the enhanced summary report documents its directionality as 1 (inbound) and 2 (outbound)
            case "originating", "outbound", "2" -> Direction.ORIGINATING;
            case "incoming", "inbound", "1" -> Direction.INCOMING;
            case "internal", "intraorg", "intra-org" -> Direction.INTERNAL;
            default -> Direction.UNKNOWN;
        };
    }
}
