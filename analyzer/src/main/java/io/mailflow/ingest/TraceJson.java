package io.mailflow.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.time.Instant;
import java.util.Locale;

/**
 * MessageTrace as one JSON object per line, with the Avro field names; eventTime as an ISO-8601
 * string (epoch millis are accepted on input) and enums by symbol. Used by the jsonl format and
 * by anyone who wants to write traces that replay reads back unchanged.
 */
public final class TraceJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TraceJson() {
    }

    /** One JSON line (no line break). */
    public static String write(final MessageTrace t) {
        final ObjectNode o = MAPPER.createObjectNode();
        o.put("eventTime", t.getEventTime().toString());
        o.put("eventType", t.getEventType().name());
        put(o, "messageId", t.getMessageId());
        put(o, "networkMessageId", t.getNetworkMessageId());
        put(o, "internalMessageId", t.getInternalMessageId());
        put(o, "sender", t.getSender());
        put(o, "returnPath", t.getReturnPath());
        put(o, "recipient", t.getRecipient());
        put(o, "connectorId", t.getConnectorId());
        put(o, "sourceServer", t.getSourceServer());
        put(o, "remoteHost", t.getRemoteHost());
        put(o, "remoteIp", t.getRemoteIp());
        put(o, "smtpReply", t.getSmtpReply());
        put(o, "statusCode", t.getStatusCode());
        put(o, "responseText", t.getResponseText());
        put(o, "subject", t.getSubject());
        if (t.getSizeBytes() != null) {
            o.put("sizeBytes", t.getSizeBytes());
        }
        o.put("direction", t.getDirection().name());
        final Provenance p = t.getProvenance();
        final ObjectNode prov = o.putObject("provenance");
        prov.put("format", p.getFormat());
        put(prov, "file", p.getFile());
        if (p.getLine() != null) {
            prov.put("line", p.getLine());
        }
        if (t.getArrivalTime() != null) {
            o.put("arrivalTime", t.getArrivalTime().toString());
        }
        try {
            return MAPPER.writeValueAsString(o);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads one line. A provenance in the object is kept (it names the original log line);
     * without one the record is attributed to this file and line.
     *
     * @throws IllegalArgumentException with a readable reason when the line is not a trace
     */
    public static MessageTrace read(final String line, final String file, final long lineNumber) {
        final JsonNode o;
        try {
            o = MAPPER.readTree(line);
        } catch (final JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (o == null || !o.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        final Instant eventTime = instant(o, "eventTime");
        if (eventTime == null) {
            throw new IllegalArgumentException("missing eventTime");
        }
        final String type = text(o, "eventType");
        if (type == null) {
            throw new IllegalArgumentException("missing eventType");
        }
        final EventType eventType;
        final Direction direction;
        try {
            eventType = EventType.valueOf(type.toUpperCase(Locale.ROOT));
            final String dir = text(o, "direction");
            direction = dir == null ? Direction.UNKNOWN : Direction.valueOf(dir.toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown enum symbol: " + e.getMessage());
        }
        final JsonNode size = o.get("sizeBytes");
        if (size != null && !size.isNull() && !size.canConvertToLong()) {
            throw new IllegalArgumentException("sizeBytes is not a number");
        }
        final JsonNode prov = o.get("provenance");
        final Provenance provenance = prov != null && prov.isObject() && text(prov, "format") != null
                ? new Provenance(text(prov, "format"), text(prov, "file"),
                        prov.hasNonNull("line") ? prov.get("line").asLong() : null)
                : new Provenance(TraceFormat.JSONL.id(), file, lineNumber);
        return MessageTrace.newBuilder()
                .setEventTime(eventTime)
                .setEventType(eventType)
                .setMessageId(text(o, "messageId"))
                .setNetworkMessageId(text(o, "networkMessageId"))
                .setInternalMessageId(text(o, "internalMessageId"))
                .setSender(text(o, "sender"))
                .setReturnPath(text(o, "returnPath"))
                .setRecipient(text(o, "recipient"))
                .setConnectorId(text(o, "connectorId"))
                .setSourceServer(text(o, "sourceServer"))
                .setRemoteHost(text(o, "remoteHost"))
                .setRemoteIp(text(o, "remoteIp"))
                .setSmtpReply(text(o, "smtpReply"))
                .setStatusCode(text(o, "statusCode"))
                .setResponseText(text(o, "responseText"))
                .setSubject(text(o, "subject"))
                .setSizeBytes(size == null || size.isNull() ? null : size.asLong())
                .setDirection(direction)
                .setProvenance(provenance)
                .setArrivalTime(instant(o, "arrivalTime"))
                .build();
    }

    /** An ISO-8601 text or epoch milliseconds; null when absent. */
    private static Instant instant(final JsonNode o, final String name) {
        final JsonNode time = o.get(name);
        if (time == null || time.isNull()) {
            return null;
        }
        if (time.isNumber()) {
            return Instant.ofEpochMilli(time.asLong());
        }
        final Instant parsed = Timestamps.parseUtc(time.asText());
        if (parsed == null) {
            throw new IllegalArgumentException("unreadable " + name + " '" + time.asText() + "'");
        }
        return parsed;
    }

    private static void put(final ObjectNode o, final String name, final String value) {
        if (value != null) {
            o.put(name, value);
        }
    }

    private static String text(final JsonNode o, final String name) {
        final JsonNode v = o.get(name);
        return v == null || v.isNull() ? null : v.asText();
    }
}
