package io.mailflow.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * One record of the raw-lines topic: a log line as a shipper sent it, with what the shipper knew
 * about where it came from (docs/ingest-formats.md, "Raw lines"). The value is either JSON with
 * the line in {@code message} (Vector, Filebeat, rsyslog templates) or {@code log} (Fluent Bit),
 * or the line itself as plain text.
 *
 * @param line      the log line, without its line break
 * @param host      the host that wrote it: JSON {@code host} (text, or Filebeat's {@code host.name}) or
 *                  {@code hostname}; for plain text the record key; null when not known
 * @param source    the file it was read from: JSON {@code source}, {@code file} (Vector) or
 *                  {@code log.file.path} (Filebeat); null when not known
 * @param format    the format the envelope names ({@code format}), or null: detected from the line
 * @param timestamp the envelope's {@code timestamp} (or {@code @timestamp}) when readable, else null
 */
record RawLine(String line, String host, String source, TraceFormat format, Instant timestamp) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Why a record's value is no usable envelope; the reason goes into the dead letter. */
    static final class Unreadable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreadable(final String reason) {
            super(reason, null, false, false);
        }
    }

    /** Reads a record of the raw-lines topic; {@code key} is the record key (the shippers put the host there). */
    static RawLine read(final String key, final String value) throws Unreadable {
        if (value == null) {
            throw new Unreadable("empty record (no value)");
        }
        final String text = value.startsWith("\uFEFF") ? value.substring(1) : value;
        if (!text.stripLeading().startsWith("{")) {
            return new RawLine(withoutLineBreak(text), blankToNull(key), null, null, null);
        }
        final JsonNode json;
        try {
            json = JSON.readTree(text);
        } catch (final JsonProcessingException e) {
            throw new Unreadable("unreadable JSON envelope: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw new Unreadable("unreadable JSON envelope: not an object");
        }
        final String line = firstText(json.get("message"), json.get("log"));
        if (line == null) {
            throw new Unreadable("JSON envelope without the line: no text field 'message' or 'log'");
        }
        final String host = firstText(json.get("host"), json.path("host").get("name"), json.get("hostname"));
        final String source = firstText(json.get("source"), json.get("file"), json.path("log").path("file").get("path"));
        final String formatId = firstText(json.get("format"));
        final TraceFormat format;
        if (formatId == null) {
            format = null;
        } else {
            try {
                format = TraceFormat.fromId(formatId);
            } catch (final IllegalArgumentException e) {
                throw new Unreadable("unknown format '" + formatId + "' in the envelope (raw lines take postfix, exchange-msgtrk)");
            }
            if (format != TraceFormat.POSTFIX && format != TraceFormat.EXCHANGE_MSGTRK) {
                throw new Unreadable("format '" + formatId + "' is not a line format raw lines take (postfix, exchange-msgtrk)");
            }
        }
        return new RawLine(withoutLineBreak(line), blankToNull(host != null ? host : key), blankToNull(source), format,
                timestamp(firstText(json.get("timestamp"), json.get("@timestamp"))));
    }

    /** The first of the nodes that is text, or null. */
    private static String firstText(final JsonNode... nodes) {
        for (final JsonNode node : nodes) {
            if (node != null && node.isTextual()) {
                return node.asText();
            }
        }
        return null;
    }

    /** An ISO-8601 instant with offset ("2024-03-02T10:00:01Z", "...+01:00"); anything else is ignored. */
    private static Instant timestamp(final String text) {
        if (text == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (final DateTimeParseException e) {
            return null; // only the reference year depends on it: the record timestamp serves instead
        }
    }

    private static String withoutLineBreak(final String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }

    private static String blankToNull(final String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
