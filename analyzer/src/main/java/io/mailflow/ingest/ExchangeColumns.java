package io.mailflow.ingest;

import java.util.List;
import java.util.Locale;

/**
 * Where each tracking-log field sits in a row. Built from the tracking log's {@code #Fields}
 * header (hyphenated names) or an Exchange Online report header (underscored names), so column
 * order and the field set may differ between Exchange versions and export variants.
 */
final class ExchangeColumns {
    final int count;
    final int time;
    /** Exchange Online's origin_timestamp beside its date_time: when the message first arrived. */
    final int origin;
    final int clientIp;
    final int clientHostname;
    final int serverIp;
    final int serverHostname;
    final int sourceContext;
    final int connectorId;
    final int source;
    final int eventId;
    final int internalMessageId;
    final int messageId;
    final int networkMessageId;
    final int recipientAddress;
    final int recipientStatus;
    final int totalBytes;
    final int messageSubject;
    final int senderAddress;
    final int returnPath;
    final int directionality;

    private ExchangeColumns(final List<String> names) {
        count = names.size();
        final int dateTime = indexOf(names, "date-time", "date-time-utc", "datetime", "date");
        final int originTimestamp = indexOf(names, "origin-timestamp", "origin-timestamp-utc");
        time = dateTime >= 0 ? dateTime : originTimestamp >= 0 ? originTimestamp : indexOf(names, "timestamp");
        origin = dateTime >= 0 ? originTimestamp : -1;
        clientIp = indexOf(names, "client-ip");
        clientHostname = indexOf(names, "client-hostname");
        serverIp = indexOf(names, "server-ip");
        serverHostname = indexOf(names, "server-hostname");
        sourceContext = indexOf(names, "source-context");
        connectorId = indexOf(names, "connector-id");
        source = indexOf(names, "source");
        eventId = indexOf(names, "event-id");
        internalMessageId = indexOf(names, "internal-message-id");
        messageId = indexOf(names, "message-id");
        networkMessageId = indexOf(names, "network-message-id");
        recipientAddress = indexOf(names, "recipient-address");
        recipientStatus = indexOf(names, "recipient-status");
        totalBytes = indexOf(names, "total-bytes");
        messageSubject = indexOf(names, "message-subject", "subject");
        senderAddress = indexOf(names, "sender-address");
        returnPath = indexOf(names, "return-path");
        directionality = indexOf(names, "directionality");
    }

    static ExchangeColumns of(final List<String> rawNames) {
        return new ExchangeColumns(rawNames.stream().map(ExchangeColumns::normalize).toList());
    }

    /** "date_time_utc", "Date-Time", " event-id" all become "date-time-utc"/"event-id". */
    static String normalize(final String name) {
        return name.trim().toLowerCase(Locale.ROOT).replace('_', '-').replace(' ', '-');
    }

    /** A tracking log or extended report: one event per row. */
    boolean usable() {
        return time >= 0 && eventId >= 0;
    }

    /**
     * The Exchange Online enhanced summary report: no event_id, one row per message with
     * {@code recipient_status} "address##Receive, Send;address##Receive, Fail".
     */
    boolean enhancedSummary() {
        return time >= 0 && eventId < 0 && recipientStatus >= 0;
    }

    private static int indexOf(final List<String> names, final String... candidates) {
        for (final String c : candidates) {
            final int i = names.indexOf(c);
            if (i >= 0) {
                return i;
            }
        }
        return -1;
    }
}
