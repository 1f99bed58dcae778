package io.mailflow.ingest;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The trace log formats mailflow reads. The id is what {@code Provenance.format} records. */
public enum TraceFormat {
    EXCHANGE_MSGTRK("exchange-msgtrk", "Exchange Server message tracking log (MSGTRK*.LOG, #Fields header)"),
    EXCHANGE_ONLINE_CSV("exchange-online-csv", "Exchange Online extended message trace report (CSV, event_id/recipient_status columns)"),
    EXCHANGE_ONLINE_DETAIL("exchange-online-detail", "Get-MessageTraceDetail exported as CSV (Date,Event,Action,Detail,Data)"),
    EXCHANGE_ONLINE_SUMMARY("exchange-online-summary", "Get-MessageTrace exported as CSV (Received,SenderAddress,RecipientAddress,Status,...)"),
    EXCHANGE_ONLINE_JSON("exchange-online-json", "Exchange Online MessageTrace JSON (Reporting Web Service OData or Get-MessageTrace | ConvertTo-Json)"),
    POSTFIX("postfix", "Postfix syslog (classic 'Mar  2 10:00:01 host postfix/smtp[1]:' or RFC 3339 timestamps)"),
    JSONL("jsonl", "JSON lines of MessageTrace (Avro field names)");

    private final String id;
    private final String description;

    TraceFormat(final String id, final String description) {
        this.id = id;
        this.description = description;
    }

    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    /** Accepts the id ({@code postfix}) or the constant name ({@code EXCHANGE_MSGTRK}), any case. */
    public static TraceFormat fromId(final String value) {
        final String wanted = value.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (final TraceFormat format : values()) {
            if (format.id.equals(wanted) || format.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(wanted)) {
                return format;
            }
        }
        throw new IllegalArgumentException("unknown trace format '" + value + "', expected one of: " + ids());
    }

    public static String ids() {
        return Arrays.stream(values()).map(TraceFormat::id).collect(Collectors.joining(", "));
    }

    /** One line per format, for error messages and --help. */
    public static String describeAll() {
        return Arrays.stream(values()).map(f -> "  " + f.id + ": " + f.description).collect(Collectors.joining("\n"));
    }
}
