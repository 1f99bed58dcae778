package io.mailflow.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mailflow.avro.internal.QueuedRecipient;
import io.mailflow.emit.AvroJson;
import java.time.Instant;
import org.apache.avro.generic.IndexedRecord;

/**
 * The query API's JSON: one mapper, times as ISO-8601 UTC strings or null, Avro records (alerts,
 * NDRs, delay notices, stats windows) rendered field by field by {@link AvroJson}, so a field added
 * to a schema appears in the API without a change here.
 */
public final class QueryJson {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    /** Bits of {@link QueuedRecipient#getFlags()}, as the queue tracker sets them. */
    private static final int DELAY_NOTICE_SENT = 1;
    private static final int EXPIRY_NDR_SENT = 4;

    private QueryJson() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    /** Epoch milliseconds as ISO-8601 UTC; null for null. */
    public static String time(final Long epochMillis) {
        return epochMillis == null ? null : Instant.ofEpochMilli(epochMillis).toString();
    }

    /** An ISO-8601 time back to epoch milliseconds; null for a null or missing node. */
    public static Long millis(final JsonNode node) {
        return node == null || node.isNull() ? null : Instant.parse(node.asText()).toEpochMilli();
    }

    /** An Avro record as a JSON object, every field of its schema included. */
    public static ObjectNode avro(final IndexedRecord record) {
        try {
            return (ObjectNode) MAPPER.readTree(AvroJson.toJson(record));
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("AvroJson wrote JSON Jackson cannot read", e);
        }
    }

    /**
     * One queued recipient as the API shows it. "expired": the expiry NDR went out and the state is
     * kept only until the MTA's own expiry record can no longer come; otherwise "queued".
     */
    public static ObjectNode recipient(final QueuedRecipient r) {
        final ObjectNode n = object();
        n.put("recipient", r.getRecipient());
        n.put("status", (r.getFlags() & EXPIRY_NDR_SENT) != 0 ? "expired" : "queued");
        n.put("connectorId", r.getConnectorId());
        n.put("queuedSince", time(r.getQueuedSince()));
        n.put("firstDeferralTime", time(r.getFirstDeferralTime()));
        n.put("lastAttemptTime", time(r.getLastAttemptTime()));
        n.put("attempts", r.getAttempts());
        n.put("lastError", r.getLastError());
        n.put("lastStatusCode", r.getLastStatusCode());
        n.put("remoteMta", r.getRemoteMta());
        n.put("delayNoticeSent", (r.getFlags() & DELAY_NOTICE_SENT) != 0);
        n.put("ndrSent", (r.getFlags() & EXPIRY_NDR_SENT) != 0);
        n.put("originalSender", r.getOriginalSender());
        n.put("subject", r.getSubject());
        n.put("messageId", r.getMessageId());
        n.put("networkMessageId", r.getNetworkMessageId());
        return n;
    }

    /** An error body: {@code {"error": "..."}}. */
    public static ObjectNode error(final String message) {
        return object().put("error", message);
    }
}
