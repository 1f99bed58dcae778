package io.mailflow.ingest;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One row of a tracking log or extended report into one {@link MessageTrace} per recipient.
 * {@code recipient-address} and {@code recipient-status} are parallel ';'-lists.
 */
final class ExchangeRowMapper {
    /** Where a new recipient status starts inside a ';'-list: an SMTP code, a bracket list or nothing. */
    private static final Pattern STATUS_START = Pattern.compile("^\\s*(?:[245]\\d\\d\\b|\\[|\\{|$)");

    private final String format;
    private final String file;
    /** Order of day and month in numeric dates; null = only year-first (ISO) dates, as tracking logs write. */
    private final DateOrder dateOrder;

    ExchangeRowMapper(final String format, final String file, final DateOrder dateOrder) {
        this.format = format;
        this.file = file;
        this.dateOrder = dateOrder;
    }

    void map(final ExchangeColumns cols, final List<String> row, final long line, final ParseOutput out) {
        // without an event-id column (the enhanced summary report) each recipient's status names its events
        final EventType mapped;
        if (cols.eventId < 0) {
            mapped = null;
        } else {
            final String eventId = get(row, cols.eventId);
            if (eventId == null) {
                out.reject("missing event-id");
                return;
            }
            mapped = ExchangeEvents.map(eventId);
            if (mapped == null) {
                out.skip(ExchangeEvents.skipReason(eventId));
                return;
            }
        }
        final String timeText = get(row, cols.time);
        final Instant time;
        try {
            time = Timestamps.parse(timeText, dateOrder);
        } catch (final DateTimeException e) {
            out.reject(Timestamps.unreadable("date-time", timeText, e));
            return;
        }
        // an arrival after the event is no arrival (a clock or export error): the event alone counts
        final Instant origin = orNull(get(row, cols.origin));
        final Instant arrival = origin != null && !origin.isAfter(time) ? origin : null;
        Long size = null;
        final String bytes = get(row, cols.totalBytes);
        if (bytes != null) {
            try {
                size = Long.parseLong(bytes.trim());
            } catch (final NumberFormatException e) {
                out.reject("total-bytes is not a number: '" + bytes + "'");
                return;
            }
        }
        // On SEND and DEFER the server-* columns describe the remote host we were sending to and
        // client-* the logging server; on every other event the server-* side is the logging server.
        final boolean outbound = mapped == EventType.SEND || mapped == EventType.DEFER
                || (mapped == EventType.FAIL && "SMTP".equalsIgnoreCase(get(row, cols.source)));
        final String localHost = outbound ? get(row, cols.clientHostname) : get(row, cols.serverHostname);
        final String remoteHost = outbound ? get(row, cols.serverHostname) : get(row, cols.clientHostname);
        final String remoteIp = outbound ? get(row, cols.serverIp) : get(row, cols.clientIp);

        List<String> recipients = splitRecipients(get(row, cols.recipientAddress));
        List<String> statuses = splitStatuses(get(row, cols.recipientStatus), recipients.size());
        // Exchange Online summary-style reports write "address##status" per recipient
        final String statusField = get(row, cols.recipientStatus);
        if (statusField != null && statusField.contains("##")) {
            final List<String> addressed = splitAddressedStatuses(statusField);
            if (recipients.size() == 1 && recipients.get(0) == null) {
                recipients = addressed.stream().map(a -> a.substring(0, a.indexOf("##"))).toList();
            }
            statuses = addressed.stream().map(a -> a.substring(a.indexOf("##") + 2).trim()).toList();
        }
        for (int i = 0; i < recipients.size(); i++) {
            final String status = statuses.size() == recipients.size() ? statuses.get(i)
                    : statuses.size() == 1 ? statuses.get(0)
                    : i < statuses.size() ? statuses.get(i) : null;
            final EventType event = mapped != null ? mapped : lastEvent(status);
            if (event == null) {
                out.skip(status == null ? "enhanced summary recipient without a status"
                        : ExchangeEvents.skipReason(lastEventName(status)));
                continue;
            }
            final SmtpStatus parsed = SmtpStatus.parse(mapped != null ? status : null);
            final EventType type = ExchangeEvents.refineFailure(event, parsed.enhanced(), status);
            out.record(MessageTrace.newBuilder()
                    .setEventTime(time)
                    .setEventType(type)
                    .setMessageId(get(row, cols.messageId))
                    .setNetworkMessageId(get(row, cols.networkMessageId))
                    .setInternalMessageId(get(row, cols.internalMessageId))
                    .setSender(get(row, cols.senderAddress))
                    .setReturnPath(get(row, cols.returnPath))
                    .setRecipient(recipients.get(i))
                    .setConnectorId(get(row, cols.connectorId))
                    .setSourceServer(localHost)
                    .setRemoteHost(remoteHost != null ? remoteHost : parsed.host())
                    .setRemoteIp(remoteIp != null ? remoteIp : parsed.ip())
                    .setSmtpReply(parsed.reply())
                    .setStatusCode(parsed.enhanced())
                    .setResponseText(SmtpStatus.blankToNull(status))
                    .setSubject(get(row, cols.messageSubject))
                    .setSizeBytes(size)
                    .setDirection(ExchangeEvents.direction(get(row, cols.directionality)))
                    .setProvenance(new Provenance(format, file, line))
                    .setArrivalTime(arrival)
                    .build());
        }
    }

    private Instant orNull(final String text) {
        try {
            return text == null ? null : Timestamps.parse(text, dateOrder);
        } catch (final DateTimeException e) {
            return null;
        }
    }

    /**
     * The enhanced summary report's status of one recipient is the list of its events so far,
     * "Receive, Send" or "Receive, Defer": the last one is where the recipient stands.
     */
    static EventType lastEvent(final String status) {
        final String name = lastEventName(status);
        return name == null || name.isEmpty() ? null : ExchangeEvents.map(name);
    }

    private static String lastEventName(final String status) {
        if (status == null) {
            return null;
        }
        final int comma = status.lastIndexOf(',');
        return status.substring(comma + 1).trim();
    }

    /** The field, or null when the column is absent or empty. */
    static String get(final List<String> row, final int index) {
        if (index < 0 || index >= row.size()) {
            return null;
        }
        final String v = row.get(index);
        return v == null || v.isEmpty() ? null : v;
    }

    /** Recipients of the row; a row without recipients still yields one message-level record. */
    static List<String> splitRecipients(final String field) {
        final List<String> out = new ArrayList<>();
        if (field != null) {
            for (final String r : field.split(";")) {
                final String t = r.trim();
                if (!t.isEmpty()) {
                    out.add(t);
                }
            }
        }
        if (out.isEmpty()) {
            out.add(null);
        }
        return out;
    }

    /**
     * Splits recipient-status into one status per recipient. The text itself may contain ';'
     * ("550 4.4.7 QUEUE.Expired; message expired", "[{LRT=..};{LED=..}]"), so with one recipient
     * we never split, and otherwise we split only at top-level ';' that start a new status.
     */
    static List<String> splitStatuses(final String field, final int recipients) {
        final List<String> out = new ArrayList<>();
        if (field == null) {
            return out;
        }
        if (recipients <= 1) {
            out.add(field.trim());
            return out;
        }
        int depth = 0;
        int start = 0;
        for (int i = 0; i < field.length(); i++) {
            final char c = field.charAt(i);
            if (c == '[' || c == '{') {
                depth++;
            } else if ((c == ']' || c == '}') && depth > 0) {
                depth--;
            } else if (c == ';' && depth == 0 && STATUS_START.matcher(field.substring(i + 1)).find()) {
                out.add(field.substring(start, i).trim());
                start = i + 1;
            }
        }
        out.add(field.substring(start).trim());
        return out;
    }

    /** "a@x##250 2.1.5 OK;b@y##Receive, Deliver" into its "address##status" items. */
    static List<String> splitAddressedStatuses(final String field) {
        final List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = field.indexOf(';'); i >= 0; i = field.indexOf(';', i + 1)) {
            final int nextHash = field.indexOf("##", i + 1);
            final int nextSemi = field.indexOf(';', i + 1);
            // a ';' starts a new item only if the next "##" comes before the next ';' and after an address
            if (nextHash > 0 && (nextSemi < 0 || nextHash < nextSemi) && field.substring(i + 1, nextHash).trim().contains("@")) {
                out.add(field.substring(start, i).trim());
                start = i + 1;
            }
        }
        out.add(field.substring(start).trim());
        return out.stream().filter(a -> a.contains("##")).toList();
    }
}
