package io.mailflow.ingest;

import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code Get-MessageTraceDetail | Export-Csv}: one row per event of one recipient with
 * {@code Date,Event,Action,Detail,Data} and the identity columns PowerShell adds
 * ({@code MessageId, MessageTraceId, RecipientAddress, SenderAddress, ...}). The SMTP codes live
 * in the free-text Detail; Data is an XML fragment of {@code <MEP Name=".." String=".."/>}.
 */
final class MessageTraceDetailParser extends CsvExportParser {
    private static final Pattern MEP = Pattern.compile(
            "<MEP\\s+Name=\"([^\"]*)\"\\s+(?:String|Integer|Long|Blob|Guid|DateTime)=\"([^\"]*)\"");

    private static final Map<String, EventType> EVENTS = Map.ofEntries(
            Map.entry("receive", EventType.RECEIVE),
            Map.entry("submit", EventType.SUBMIT),
            Map.entry("send", EventType.SEND),
            Map.entry("send external", EventType.SEND),
            Map.entry("deliver", EventType.DELIVER),
            Map.entry("delivered", EventType.DELIVER),
            Map.entry("defer", EventType.DEFER),
            Map.entry("deferred", EventType.DEFER),
            Map.entry("fail", EventType.FAIL),
            Map.entry("failed", EventType.FAIL),
            Map.entry("expand", EventType.EXPAND),
            Map.entry("redirect", EventType.REDIRECT),
            Map.entry("resolve", EventType.RESOLVE),
            Map.entry("transfer", EventType.TRANSFER),
            Map.entry("drop", EventType.DROP),
            Map.entry("dsn", EventType.DSN),
            Map.entry("expired", EventType.EXPIRE));

    private final String file;
    private final DateOrder dateOrder;
    private int date = -1;
    private int event = -1;
    private int detail = -1;
    private int data = -1;
    private int messageId = -1;
    private int messageTraceId = -1;
    private int recipient = -1;
    private int sender = -1;

    /** {@code dateOrder}: of the file's numeric dates, as Export-Csv wrote them; null = ISO only. */
    MessageTraceDetailParser(final String file, final DateOrder dateOrder) {
        this.file = file;
        this.dateOrder = dateOrder;
    }

    @Override
    void row(final List<String> row, final long lineNumber, final ParseOutput out) {
        final String eventName = ExchangeRowMapper.get(row, event);
        if (eventName == null) {
            out.reject("missing Event");
            return;
        }
        final EventType mapped = EVENTS.get(eventName.trim().toLowerCase(Locale.ROOT));
        if (mapped == null) {
            out.skip("message trace detail event '" + eventName.trim() + "' (not a delivery event)");
            return;
        }
        final String dateText = ExchangeRowMapper.get(row, date);
        final Instant time;
        try {
            time = Timestamps.parse(dateText, dateOrder);
        } catch (final DateTimeException e) {
            out.reject(Timestamps.unreadable("Date", dateText, e));
            return;
        }
        final String detailText = ExchangeRowMapper.get(row, detail);
        final SmtpStatus status = SmtpStatus.parse(detailText);
        final Map<String, String> meps = meps(ExchangeRowMapper.get(row, data));
        final EventType type = ExchangeEvents.refineFailure(mapped, status.enhanced(), detailText);
        out.record(MessageTrace.newBuilder()
                .setEventTime(time)
                .setEventType(type)
                .setMessageId(ExchangeRowMapper.get(row, messageId))
                .setNetworkMessageId(ExchangeRowMapper.get(row, messageTraceId))
                .setSender(ExchangeRowMapper.get(row, sender))
                .setReturnPath(first(meps, "returnpath", "return-path"))
                .setRecipient(ExchangeRowMapper.get(row, recipient))
                .setConnectorId(first(meps, "connectorid", "connector", "outboundconnector", "inboundconnector"))
                .setSourceServer(first(meps, "clientname", "serverhostname"))
                .setRemoteHost(orElse(first(meps, "remotehost", "fqdn", "targethost", "destinationhost"), status.host()))
                .setRemoteIp(orElse(first(meps, "remoteip", "ip", "targetip", "lastip", "lastipaddress"), status.ip()))
                .setSmtpReply(status.reply())
                .setStatusCode(status.enhanced())
                .setResponseText(detailText)
                .setSizeBytes(parseLong(first(meps, "messagesize", "totalbytes", "size")))
                .setDirection(direction(meps))
                .setProvenance(new Provenance(TraceFormat.EXCHANGE_ONLINE_DETAIL.id(), file, lineNumber))
                .build());
    }

    @Override
    String header(final List<String> row) {
        for (int i = 0; i < row.size(); i++) {
            switch (row.get(i).trim().toLowerCase(Locale.ROOT).replace("_", "").replace(" ", "")) {
                case "date", "datetime", "received" -> date = date < 0 ? i : date;
                case "event" -> event = i;
                case "detail" -> detail = i;
                case "data" -> data = i;
                case "messageid" -> messageId = i;
                case "messagetraceid", "networkmessageid" -> messageTraceId = i;
                case "recipientaddress", "recipient" -> recipient = i;
                case "senderaddress", "sender" -> sender = i;
                default -> {
                    // Organization, Action, StartDate, EndDate, RunspaceId ...: not needed
                }
            }
        }
        return date < 0 || event < 0 ? "header without Date and Event columns" : null;
    }

    /** MEP name (lower case) to value. */
    static Map<String, String> meps(final String xml) {
        final Map<String, String> out = new HashMap<>();
        if (xml != null) {
            final Matcher m = MEP.matcher(xml);
            while (m.find()) {
                out.putIfAbsent(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
            }
        }
        return out;
    }

    private static String first(final Map<String, String> meps, final String... names) {
        for (final String n : names) {
            final String v = meps.get(n);
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    private static String orElse(final String value, final String fallback) {
        return value != null ? value : fallback;
    }

    private static Long parseLong(final String s) {
        if (s == null) {
            return null;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (final NumberFormatException e) {
            return null;
        }
    }

    private static Direction direction(final Map<String, String> meps) {
        return ExchangeEvents.direction(first(meps, "directionality", "direction"));
    }
}
