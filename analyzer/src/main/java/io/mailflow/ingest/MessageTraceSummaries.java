package io.mailflow.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Exchange Online message trace result ({@code Get-MessageTrace}, the Reporting Web Service's
 * MessageTrace): one recipient of one message with its current Status, whether it came as JSON or
 * as CSV. Status maps Delivered→DELIVER, Failed→FAIL, Pending→DEFER, Expanded→EXPAND,
 * Resolved→RESOLVE; FilteredAsSpam, Quarantined, GettingStatus and None are skipped and counted
 * (no delivery outcome). The result carries no connector and no SMTP codes.
 */
final class MessageTraceSummaries {
    private static final Pattern DIGITS = Pattern.compile("\\d{1,18}");
    private static final Pattern MS_DATE = Pattern.compile("^/Date\\((-?\\d+)(?:[+-]\\d{4})?\\)/$");
    private static final Map<String, EventType> STATUS = Map.of(
            "delivered", EventType.DELIVER,
            "failed", EventType.FAIL,
            "pending", EventType.DEFER,
            "expanded", EventType.EXPAND,
            "resolved", EventType.RESOLVE);

    private MessageTraceSummaries() {
    }

    /**
     * Maps one result (field names as Exchange writes them) to a record, a skip or a rejection;
     * {@code dateOrder} is the order of numeric dates in a CSV export (null: JSON, ISO only).
     */
    static void map(final JsonNode o, final TraceFormat format, final String file, final long line,
            final DateOrder dateOrder, final ParseOutput out) {
        if (!o.isObject()) {
            out.reject("message trace entry is not a JSON object");
            return;
        }
        final String status = text(o, "Status");
        if (status == null) {
            out.reject("message trace without Status");
            return;
        }
        final EventType type = STATUS.get(status.toLowerCase(Locale.ROOT));
        if (type == null) {
            out.skip("exchange online status " + status + " (not a delivery outcome)");
            return;
        }
        final String received = text(o, "Received");
        final Instant time;
        try {
            time = time(received, dateOrder);
        } catch (final DateTimeException e) {
            out.reject(Timestamps.unreadable("Received", received, e));
            return;
        }
        final String toIp = text(o, "ToIP");
        out.record(MessageTrace.newBuilder()
                .setEventTime(time)
                .setEventType(type)
                .setMessageId(text(o, "MessageId"))
                .setNetworkMessageId(text(o, "MessageTraceId"))
                .setSender(text(o, "SenderAddress"))
                .setReturnPath(text(o, "SenderAddress"))
                .setRecipient(text(o, "RecipientAddress"))
                .setRemoteIp(toIp != null ? toIp : text(o, "FromIP"))
                .setResponseText("Status: " + status)
                .setSubject(text(o, "Subject"))
                .setSizeBytes(size(o.get("Size")))
                .setDirection(Direction.UNKNOWN)
                .setProvenance(new Provenance(format.id(), file, line))
                .build());
    }

    /** ISO-8601, the OData {@code /Date(ms)/}, or a culture's numeric date in the file's order. */
    private static Instant time(final String text, final DateOrder dateOrder) {
        final Matcher ms = text == null ? null : MS_DATE.matcher(text);
        return ms != null && ms.matches() ? Instant.ofEpochMilli(Long.parseLong(ms.group(1))) : Timestamps.parse(text, dateOrder);
    }

    /** A JSON number, or the digits of a CSV cell; anything else is no size (the record stays). */
    private static Long size(final JsonNode size) {
        if (size == null || size.isNull()) {
            return null;
        }
        if (size.canConvertToLong()) {
            return size.asLong();
        }
        final String digits = size.asText().trim();
        return DIGITS.matcher(digits).matches() ? Long.valueOf(digits) : null;
    }

    private static String text(final JsonNode o, final String name) {
        final JsonNode v = o.get(name);
        return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
    }
}
