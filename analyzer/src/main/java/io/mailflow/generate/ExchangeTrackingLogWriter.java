package io.mailflow.generate;

import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.ingest.CsvLine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/**
 * Writes Exchange 2013+ message tracking logs (MSGTRK*.LOG): the {@code #Software} ...
 * {@code #Fields} header, then one CSV line per event with CRLF line ends. Records of one
 * message that share an event, time and connector become one line with the recipients and
 * their statuses {@code ;}-joined in the same order, as Exchange writes them (FAIL lines stay
 * one per recipient). One file per
 * server that logs events.
 */
public final class ExchangeTrackingLogWriter implements TraceOutput {
    public static final String SCHEMA_VERSION = "15.02.1544.004";
    public static final List<String> FIELDS = List.of("date-time", "client-ip", "client-hostname", "server-ip",
        "server-hostname", "source-context", "connector-id", "source", "event-id", "internal-message-id", "message-id",
        "network-message-id", "recipient-address", "recipient-status", "total-bytes", "recipient-count",
        "related-recipient-address", "reference", "message-subject", "sender-address", "return-path", "message-info",
        "directionality", "tenant-id", "original-client-ip", "original-server-ip", "custom-data",
        "transport-traffic-type", "log-id", "schema-version");
    private static final DateTimeFormatter FILE_HOUR = DateTimeFormatter.ofPattern("yyyyMMddHH").withZone(ZoneOffset.UTC);

    private final Function<String, Writer> openLog;
    private final Map<String, Writer> logsByServer = new LinkedHashMap<>();
    private final List<MessageTrace> line = new ArrayList<>();
    private long lines;

    /** Writes each server's log to its own writer, opened on the server's first event. */
    public ExchangeTrackingLogWriter(final Function<String, Writer> openLog) {
        this.openLog = openLog;
    }

    /**
     * Writes to {@code dir/MSGTRKyyyyMMddHH-1.LOG}, or {@code dir/SERVER/MSGTRK...} when several
     * servers log, named by the hour the run starts.
     */
    public static ExchangeTrackingLogWriter toDirectory(final Path dir, final boolean severalServers, final Instant start) {
        final String name = "MSGTRK" + FILE_HOUR.format(start) + "-1.LOG";
        return new ExchangeTrackingLogWriter(server -> {
            try {
                final Path serverDir = severalServers ? dir.resolve(server) : dir;
                Files.createDirectories(serverDir);
                return Files.newBufferedWriter(serverDir.resolve(name), StandardCharsets.UTF_8);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    public void accept(final MessageTrace trace) throws IOException {
        if (!line.isEmpty() && !sameLine(line.get(0), trace)) {
            flushLine();
        }
        line.add(trace);
    }

    /**
     * Exchange logs one line per event of a message; recipients of one attempt share it. FAIL
     * lines stay one per recipient: their texts carry ';' themselves ("QUEUE.Expired; message
     * expired"), which a ';'-joined status list could not keep apart.
     */
    private static boolean sameLine(final MessageTrace a, final MessageTrace b) {
        final boolean perRecipient = a.getEventType() == EventType.FAIL || a.getEventType() == EventType.EXPIRE;
        return !perRecipient && a.getEventTime().equals(b.getEventTime()) && a.getEventType() == b.getEventType()
            && Objects.equals(a.getInternalMessageId(), b.getInternalMessageId())
            && Objects.equals(a.getSourceServer(), b.getSourceServer())
            && Objects.equals(a.getConnectorId(), b.getConnectorId())
            && Objects.equals(a.getRemoteHost(), b.getRemoteHost())
            && Objects.equals(a.getRecipient() == null, b.getRecipient() == null);
    }

    private void flushLine() throws IOException {
        final MessageTrace first = line.get(0);
        final String server = first.getSourceServer() == null ? "EX01" : first.getSourceServer();
        final Writer log = logFor(server, first.getEventTime());
        // quoted the way the ingest parser unquotes (CsvLine), so a generated log always reads back
        log.write(CsvLine.format(columns(first, line, server)));
        log.write("\r\n");
        lines++;
        line.clear();
    }

    private Writer logFor(final String server, final Instant firstEvent) throws IOException {
        Writer out = logsByServer.get(server);
        if (out == null) {
            out = openLog.apply(server);
            out.write("#Software: Microsoft Exchange Server\r\n");
            out.write("#Version: " + SCHEMA_VERSION + "\r\n");
            out.write("#Log-type: Message Tracking Log\r\n");
            out.write("#Date: " + firstEvent + "\r\n");
            out.write("#Fields: " + String.join(",", FIELDS) + "\r\n");
            logsByServer.put(server, out);
        }
        return out;
    }

    private List<String> columns(final MessageTrace t, final List<MessageTrace> group, final String server) {
        final EventType type = t.getEventType();
        final boolean received = type == EventType.RECEIVE;
        final boolean mailbox = type == EventType.DELIVER;
        final String serverFqdn = server + ".example.com";
        final String serverIp = Addresses.ipFor(server, "10.1.0.");
        final StringBuilder recipients = new StringBuilder();
        final StringBuilder statuses = new StringBuilder();
        boolean anyStatus = false;
        for (final MessageTrace r : group) {
            if (recipients.length() > 0) {
                recipients.append(';');
                statuses.append(';');
            }
            recipients.append(nz(r.getRecipient()));
            if (r.getResponseText() != null) {
                statuses.append(r.getResponseText());
                anyStatus = true;
            }
        }
        final String clientIp;
        final String clientHost;
        final String serverIpColumn;
        final String serverHost;
        if (received) {
            clientIp = nz(t.getRemoteIp());
            clientHost = nz(t.getRemoteHost());
            serverIpColumn = serverIp;
            serverHost = serverFqdn;
        } else if (mailbox) {
            clientIp = serverIp;
            clientHost = serverFqdn;
            serverIpColumn = serverIp;
            serverHost = serverFqdn;
        } else {
            clientIp = serverIp;
            clientHost = serverFqdn;
            serverIpColumn = nz(t.getRemoteIp());
            serverHost = nz(t.getRemoteHost());
        }
        final String sourceContext = received
            ? sessionId(t) + ";" + t.getEventTime() + ";0"
            : type == EventType.SEND ? ";250 2.0.0 OK;ClientSubmitTime:" + t.getEventTime() : "";
        final String eventId = type == EventType.EXPIRE ? "FAIL" : type.name();
        final List<String> c = new ArrayList<>(FIELDS.size());
        c.add(t.getEventTime().toString());
        c.add(clientIp);
        c.add(clientHost);
        c.add(serverIpColumn);
        c.add(serverHost);
        c.add(sourceContext);
        c.add(nz(t.getConnectorId()));
        c.add(mailbox ? "STOREDRIVER" : "SMTP");
        c.add(eventId);
        c.add(nz(t.getInternalMessageId()));
        c.add(nz(t.getMessageId()));
        c.add(nz(t.getNetworkMessageId()));
        c.add(recipients.toString());
        c.add(anyStatus ? statuses.toString() : "");
        c.add(t.getSizeBytes() == null ? "" : Long.toString(t.getSizeBytes()));
        c.add(Integer.toString(group.size()));
        c.add("");
        c.add("");
        c.add(nz(t.getSubject()));
        c.add(nz(t.getSender()));
        c.add(nz(t.getReturnPath()));
        c.add(received ? t.getEventTime() + ";SRV=" + serverFqdn + ":TOTAL=0" : "");
        c.add(directionality(t.getDirection()));
        c.add("");
        c.add(received ? clientIp : "");
        c.add(received ? serverIp : "");
        c.add("S:DeliveryPriority=Normal;S:AccountForest=example.com");
        c.add("Email");
        c.add(logId(t));
        c.add(SCHEMA_VERSION);
        return c;
    }

    private static String sessionId(final MessageTrace t) {
        return String.format("08DE%012X", (long) Objects.hashCode(t.getInternalMessageId()) & 0xFFFFFFFFFFFFL);
    }

    /** A per-line GUID, derived from the line's content so the same run writes the same file. */
    private String logId(final MessageTrace t) {
        return UUID.nameUUIDFromBytes((t.getNetworkMessageId() + "|" + t.getEventType() + "|" + t.getEventTime() + "|" + lines)
            .getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static String directionality(final Direction d) {
        return switch (d) {
            case ORIGINATING -> "Originating";
            case INCOMING -> "Incoming";
            case INTERNAL -> "Originating";
            default -> "";
        };
    }

    private static String nz(final String s) {
        return s == null ? "" : s;
    }

    @Override
    public void close() throws IOException {
        if (!line.isEmpty()) {
            flushLine();
        }
        IOException failure = null;
        for (final Writer log : logsByServer.values()) {
            try {
                log.close();
            } catch (final IOException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
