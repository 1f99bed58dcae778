package io.mailflow.ingest;

import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Postfix syslog lines. Records come only from delivery attempts ({@code to=<..>, relay=..,
 * dsn=.., status=..}), queue expiry ({@code qmgr: status=expired, returned to sender}) and bounce
 * notifications; cleanup, qmgr, smtpd and pickup lines feed the per-queue-id context (Message-ID,
 * sender, size, client) those records carry. Everything else is skipped and counted per reason.
 *
 * <p>Connector mapping: {@code <transport>:<next hop>} where the transport is the delivery agent
 * (smtp, lmtp, relay, ...) and the next hop is the relay host name ({@code relay=host[ip]:port});
 * with {@code relay=none} the host named in the error text, else the recipient domain. Local
 * mailbox agents map to their name ({@code local}, {@code virtual}). Deferrals logged by the
 * {@code error}/{@code retry} agents for a suspended destination ("delivery temporarily
 * suspended: connect to host[..]") count against {@code smtp:<host>}, the connector that failed.
 */
final class PostfixLogParser implements LineParser {
    private static final Map<String, Integer> MONTHS = Map.ofEntries(
            Map.entry("Jan", 1), Map.entry("Feb", 2), Map.entry("Mar", 3), Map.entry("Apr", 4),
            Map.entry("May", 5), Map.entry("Jun", 6), Map.entry("Jul", 7), Map.entry("Aug", 8),
            Map.entry("Sep", 9), Map.entry("Oct", 10), Map.entry("Nov", 11), Map.entry("Dec", 12));

    static final Pattern CLASSIC = Pattern.compile(
            "^([A-Z][a-z]{2}) {1,2}(\\d{1,2}) (\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))? (\\S+) ([^\\s\\[:]+)(?:\\[\\d+\\])?: ?(.*)$");
    static final Pattern RFC3339 = Pattern.compile(
            "^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?)(Z|[+-]\\d{2}:?\\d{2})? (\\S+) ([^\\s\\[:]+)(?:\\[\\d+\\])?: ?(.*)$");
    /** Short (hex) and long (base-52 without vowels) queue ids. */
    private static final Pattern QUEUE_ID = Pattern.compile(
            "^([0-9A-F]{5,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{8,}): (.*)$");
    private static final Pattern QMGR_FROM = Pattern.compile("^from=<([^>]*)>, size=(\\d+), nrcpt=(\\d+)");
    private static final Pattern QMGR_EXPIRED = Pattern.compile("^from=<([^>]*)>, status=expired, returned to sender");
    private static final Pattern SMTPD_CLIENT = Pattern.compile("^client=([^\\[,]+)\\[([^\\]]*)\\]");
    private static final Pattern PICKUP_FROM = Pattern.compile("from=<([^>]*)>");
    private static final Pattern RELAY = Pattern.compile("^([^\\[]+)\\[([^\\]]*)\\](?::(\\d+))?$");
    private static final Pattern HOST_IN_TEXT = Pattern.compile("(?:connect to|host|with) ([^\\s\\[]+)\\[([^\\]]*)\\](?::(\\d+))?");
    private static final Pattern NOTIFICATION = Pattern.compile("^(sender|postmaster) (non-delivery|delay|delivery status|success) notification: (\\S+)");
    private static final Set<String> MAILBOX_AGENTS = Set.of("local", "virtual", "lmtp", "pipe");
    private static final Set<String> QUIET_SERVICES = Set.of(
            "anvil", "postscreen", "scache", "master", "tlsmgr", "tlsproxy", "dnsblog", "verify",
            "proxymap", "trivial-rewrite", "flush", "showq", "postlog", "sendmail", "postdrop");

    private final String file;
    private final SyslogYear clock;
    private final ZoneId zone;
    private final PostfixQueueContext queue;

    PostfixLogParser(final String file, final Integer referenceYear, final ZonedDateTime now, final ZoneId zone,
            final int maxQueueIds) {
        this(file, referenceYear, now, zone, new PostfixQueue(maxQueueIds));
    }

    /**
     * A parser that shares {@code queue} with the parsers of the other files of the same logs: a
     * message received before logrotate ran and delivered after it keeps its Message-ID, sender
     * and size (the queue is keyed by host and queue id, so several hosts' logs can share it). The
     * raw-lines processor passes a {@link StoredPostfixQueue}: the same parsing over a state store.
     */
    PostfixLogParser(final String file, final Integer referenceYear, final ZonedDateTime now, final ZoneId zone,
            final PostfixQueueContext queue) {
        this.file = file;
        this.zone = zone;
        this.clock = new SyslogYear(referenceYear, now, zone);
        this.queue = queue;
    }

    /** The in-memory queue this parser was made with (tests of replay's bound). */
    PostfixQueue queue() {
        return (PostfixQueue) queue;
    }

    @Override
    public void parse(final String line, final long lineNumber, final ParseOutput out) {
        if (line.isBlank()) {
            out.skip("blank line");
            return;
        }
        final Matcher classic = CLASSIC.matcher(line);
        final Instant time;
        final String host;
        final String program;
        final String message;
        try {
            if (classic.matches()) {
                final Integer month = MONTHS.get(classic.group(1));
                if (month == null) {
                    out.reject("unknown month '" + classic.group(1) + "'");
                    return;
                }
                final String frac = classic.group(6);
                final int nanos = frac == null ? 0 : Integer.parseInt((frac + "000000000").substring(0, 9));
                time = clock.resolve(month, Integer.parseInt(classic.group(2)), Integer.parseInt(classic.group(3)),
                        Integer.parseInt(classic.group(4)), Integer.parseInt(classic.group(5)), nanos);
                host = classic.group(7);
                program = classic.group(8);
                message = classic.group(9);
            } else {
                final Matcher iso = RFC3339.matcher(line);
                if (!iso.matches()) {
                    out.reject("not a syslog line (no timestamp, host and program prefix)");
                    return;
                }
                time = iso.group(2) == null
                        ? LocalDateTime.parse(iso.group(1)).atZone(zone).toInstant()
                        : OffsetDateTime.parse(iso.group(1) + normalizeOffset(iso.group(2))).toInstant();
                host = iso.group(3);
                program = iso.group(4);
                message = iso.group(5);
            }
        } catch (final DateTimeException | NumberFormatException e) {
            out.reject("impossible timestamp: " + e.getMessage());
            return;
        }
        parseMessage(time, host, program, message, lineNumber, out);
    }

    private static String normalizeOffset(final String offset) {
        return offset.length() == 5 ? offset.substring(0, 3) + ":" + offset.substring(3) : offset;
    }

    /** The part after "program[pid]: "; package-private so fragments can be tested without a prefix. */
    void parseMessage(final Instant time, final String host, final String program, final String message,
            final long lineNumber, final ParseOutput out) {
        final int slash = program.indexOf('/');
        if (slash < 0 || !program.startsWith("postfix")) {
            out.skip("other program (not postfix)");
            return;
        }
        final String service = program.substring(program.lastIndexOf('/') + 1);
        if (message.startsWith("warning:")) {
            out.skip("warning");
            return;
        }
        if (message.startsWith("fatal:") || message.startsWith("panic:") || message.startsWith("error:")) {
            out.skip("fatal/panic/error notice");
            return;
        }
        final Matcher qid = QUEUE_ID.matcher(message);
        if (!qid.matches()) {
            out.skip(noQueueIdReason(service, message));
            return;
        }
        final String queueId = qid.group(1);
        final String rest = qid.group(2);
        final String key = host + "/" + queueId;
        final Context ctx = new Context(time, host, queueId, key, lineNumber);
        switch (service) {
            case "cleanup" -> cleanup(ctx, rest, out);
            case "qmgr" -> qmgr(ctx, rest, out);
            case "smtpd" -> smtpd(ctx, rest, out);
            case "pickup" -> pickup(ctx, rest, out);
            case "postsuper" -> postsuper(ctx, rest, out);
            case "bounce", "defer", "trace" -> notification(ctx, service, rest, out);
            default -> {
                if (rest.startsWith("to=<")) {
                    delivery(ctx, service, rest, out);
                } else if (rest.startsWith("host ") || rest.startsWith("lost connection") || rest.startsWith("conversation with")
                        || rest.startsWith("enabling PIX") || rest.startsWith("Cannot start TLS") || rest.startsWith("connect to")) {
                    out.skip("smtp session notice (reported again on the recipient's delivery line)");
                } else {
                    out.skip(service + " notice");
                }
            }
        }
    }

    private record Context(Instant time, String host, String queueId, String key, long line) {
    }

    private static String noQueueIdReason(final String service, final String message) {
        if (message.startsWith("connect from") || message.startsWith("disconnect from")
                || message.startsWith("lost connection after") || message.startsWith("timeout after")) {
            return "smtpd connect/disconnect";
        }
        if (message.startsWith("NOQUEUE:")) {
            return "NOQUEUE (rejected before queueing)";
        }
        if (message.contains("TLS connection established") || message.startsWith("SSL_")
                || message.contains("TLS handshake") || message.startsWith("setting up TLS")) {
            return "TLS";
        }
        if (message.contains("SASL")) {
            return "SASL";
        }
        if (QUIET_SERVICES.contains(service)) {
            return service;
        }
        if (message.startsWith("connect to") || message.startsWith("SSL_connect")) {
            return "smtp session notice (reported again on the recipient's delivery line)";
        }
        return service + " notice without queue id";
    }

    private void cleanup(final Context ctx, final String rest, final ParseOutput out) {
        if (rest.startsWith("message-id=")) {
            final String id = rest.substring("message-id=".length()).trim();
            queue.getOrCreate(ctx.key()).messageId = id.isEmpty() ? null : id;
            out.skip("message context (cleanup/qmgr/smtpd/pickup)");
        } else if (rest.startsWith("resent-message-id=")) {
            out.skip("message context (cleanup/qmgr/smtpd/pickup)");
        } else if (rest.startsWith("milter-reject:") || rest.startsWith("reject:") || rest.startsWith("discard:")) {
            out.skip("cleanup reject/discard");
        } else {
            out.skip("cleanup notice");
        }
    }

    private void qmgr(final Context ctx, final String rest, final ParseOutput out) {
        if (rest.equals("removed")) {
            queue.remove(ctx.key());
            out.skip("queue file removed");
            return;
        }
        final Matcher expired = QMGR_EXPIRED.matcher(rest);
        if (expired.find()) {
            expiry(ctx, expired.group(1), rest, out);
            return;
        }
        final Matcher from = QMGR_FROM.matcher(rest);
        if (from.find()) {
            final PostfixQueue.Entry e = queue.getOrCreate(ctx.key());
            e.sender = from.group(1);
            e.size = Long.parseLong(from.group(2));
            out.skip("message context (cleanup/qmgr/smtpd/pickup)");
            return;
        }
        out.skip("qmgr notice");
    }

    private void smtpd(final Context ctx, final String rest, final ParseOutput out) {
        final Matcher client = SMTPD_CLIENT.matcher(rest);
        if (client.find()) {
            final PostfixQueue.Entry e = queue.getOrCreate(ctx.key());
            e.clientHost = client.group(1);
            e.clientIp = client.group(2);
            out.skip("message context (cleanup/qmgr/smtpd/pickup)");
            return;
        }
        out.skip(rest.startsWith("reject:") ? "smtpd reject" : "smtpd notice");
    }

    private void pickup(final Context ctx, final String rest, final ParseOutput out) {
        final Matcher from = PICKUP_FROM.matcher(rest);
        if (from.find()) {
            queue.getOrCreate(ctx.key()).sender = from.group(1);
            out.skip("message context (cleanup/qmgr/smtpd/pickup)");
            return;
        }
        out.skip("pickup notice");
    }

    private void postsuper(final Context ctx, final String rest, final ParseOutput out) {
        if (rest.equals("removed") || rest.startsWith("removed")) {
            queue.remove(ctx.key());
            out.skip("queue file removed");
            return;
        }
        out.skip("postsuper notice");
    }

    /** qmgr gave up: one EXPIRE per recipient we saw deferred, or one message-level record. */
    private void expiry(final Context ctx, final String sender, final String rest, final ParseOutput out) {
        final PostfixQueue.Entry e = queue.get(ctx.key());
        if (e == null || e.pending.isEmpty()) {
            out.record(base(ctx, e, EventType.EXPIRE)
                    .setSender(sender)
                    .setReturnPath(sender)
                    .setResponseText(rest)
                    .build());
            return;
        }
        for (final Map.Entry<String, String> pending : e.pending.entrySet()) {
            out.record(base(ctx, e, EventType.EXPIRE)
                    .setSender(sender)
                    .setReturnPath(sender)
                    .setRecipient(pending.getKey())
                    .setConnectorId(pending.getValue())
                    .setResponseText(rest)
                    .build());
        }
        e.pending.clear();
    }

    private void notification(final Context ctx, final String service, final String rest, final ParseOutput out) {
        final Matcher m = NOTIFICATION.matcher(rest);
        if (!m.find()) {
            out.skip(service + " notice");
            return;
        }
        final PostfixQueue.Entry e = queue.get(ctx.key());
        out.record(base(ctx, e, EventType.DSN)
                .setResponseText(rest)
                .build());
    }

    private void delivery(final Context ctx, final String service, final String rest, final ParseOutput out) {
        final int statusAt = rest.indexOf(", status=");
        if (statusAt < 0) {
            out.reject("delivery line without status=");
            return;
        }
        String recipient = null;
        String relay = null;
        String dsn = null;
        String delay = null;
        for (final String pair : rest.substring(0, statusAt).split(", ")) {
            final int eq = pair.indexOf('=');
            if (eq < 0) {
                continue;
            }
            final String k = pair.substring(0, eq);
            final String v = pair.substring(eq + 1);
            switch (k) {
                case "to" -> recipient = stripAngles(v);
                case "relay" -> relay = v;
                case "dsn" -> dsn = v;
                case "delay" -> delay = v;
                default -> {
                    // orig_to, conn_use, delays: not part of the trace record
                }
            }
        }
        if (recipient == null) {
            out.reject("delivery line without to=<recipient>");
            return;
        }
        final String statusPart = rest.substring(statusAt + ", status=".length());
        final int space = indexOfAny(statusPart, ' ', ',');
        final String status = space < 0 ? statusPart : statusPart.substring(0, space);
        final String text = responseText(space < 0 ? "" : statusPart.substring(space));
        final EventType type = switch (status) {
            case "sent" -> "discard".equals(service) ? EventType.DROP
                    : MAILBOX_AGENTS.contains(service) ? EventType.DELIVER : EventType.SEND;
            case "deferred" -> EventType.DEFER;
            case "bounced" -> EventType.FAIL;
            case "expired" -> EventType.EXPIRE;
            default -> null;
        };
        if (type == null) {
            if ("deliverable".equals(status) || "undeliverable".equals(status)) {
                out.skip("address verification probe");
            } else {
                out.reject("unknown delivery status '" + status + "'");
            }
            return;
        }
        String remoteHost = null;
        String remoteIp = null;
        final Matcher relayHost = relay == null ? null : RELAY.matcher(relay);
        if (relayHost != null && relayHost.matches()) {
            remoteHost = relayHost.group(1);
            remoteIp = withPort(relayHost.group(2), relayHost.group(3));
        } else if (text != null) {
            final Matcher inText = HOST_IN_TEXT.matcher(text);
            if (inText.find()) {
                remoteHost = inText.group(1);
                remoteIp = withPort(inText.group(2), inText.group(3));
            }
        }
        final String connector = connector(service, relay, remoteHost, recipient, text);
        final SmtpStatus reply = SmtpStatus.parse(text);
        final PostfixQueue.Entry e = type == EventType.DEFER ? queue.getOrCreate(ctx.key()) : queue.get(ctx.key());
        final Instant arrival = arrival(ctx.time(), delay);
        if (e != null && arrival != null && (e.arrival == null || arrival.isBefore(e.arrival))) {
            e.arrival = arrival;
        }
        if (e != null) {
            if (type == EventType.DEFER) {
                PostfixQueue.addPending(e, recipient, connector);
            } else {
                e.pending.remove(recipient);
            }
        }
        out.record(base(ctx, e, type)
                .setRecipient(recipient)
                .setConnectorId(connector)
                .setRemoteHost(remoteHost)
                .setRemoteIp(remoteIp)
                .setSmtpReply(reply.reply())
                .setStatusCode(dsn != null ? dsn : reply.enhanced())
                .setResponseText(text)
                .setArrivalTime(arrival != null ? arrival : e == null ? null : e.arrival)
                .build());
    }

    /**
     * delay= is "the total time from message arrival to the completion of the delivery attempt"
     * (Postfix's logging documentation), in seconds with up to two decimals: the one place a
     * maillog tells when a message that arrived before the log began entered the queue.
     */
    static Instant arrival(final Instant attempt, final String delay) {
        if (delay == null) {
            return null;
        }
        try {
            final double seconds = Double.parseDouble(delay);
            if (!(seconds >= 0) || Double.isInfinite(seconds)) {
                return null;
            }
            return attempt.minusMillis(Math.round(seconds * 1000));
        } catch (final NumberFormatException notANumber) {
            return null; // an unreadable delay= only loses the arrival, not the delivery record
        }
    }

    static String connector(final String service, final String relay, final String remoteHost,
            final String recipient, final String text) {
        if (MAILBOX_AGENTS.contains(service) && !"lmtp".equals(service) && !"pipe".equals(service)) {
            return service;
        }
        final boolean suspended = text != null && text.startsWith("delivery temporarily suspended");
        final String transport = suspended && ("error".equals(service) || "retry".equals(service)) ? "smtp" : service;
        if (remoteHost != null) {
            return transport + ":" + remoteHost;
        }
        if (relay != null && !"none".equals(relay)) {
            return transport + ":" + relay;
        }
        final int at = recipient.lastIndexOf('@');
        return at >= 0 ? transport + ":" + recipient.substring(at + 1).toLowerCase(Locale.ROOT) : transport;
    }

    private MessageTrace.Builder base(final Context ctx, final PostfixQueue.Entry e, final EventType type) {
        final MessageTrace.Builder b = MessageTrace.newBuilder()
                .setEventTime(ctx.time())
                .setEventType(type)
                .setInternalMessageId(ctx.queueId())
                .setSourceServer(ctx.host())
                .setDirection(Direction.UNKNOWN)
                .setProvenance(new Provenance(TraceFormat.POSTFIX.id(), file, ctx.line()));
        if (e != null) {
            b.setMessageId(e.messageId)
                    .setSender(e.sender)
                    .setReturnPath(e.sender)
                    .setSizeBytes(e.size)
                    .setArrivalTime(e.arrival);
        }
        return b;
    }

    private static String responseText(final String afterStatus) {
        final String t = afterStatus.trim();
        if (t.isEmpty()) {
            return null;
        }
        if (t.startsWith("(")) {
            // "(text)" - the source sample shows a line cut before its closing parenthesis
            return t.endsWith(")") ? t.substring(1, t.length() - 1) : t.substring(1);
        }
        return t.startsWith(",") ? t.substring(1).trim() : t;
    }

    private static String stripAngles(final String v) {
        return v.startsWith("<") && v.endsWith(">") ? v.substring(1, v.length() - 1) : v;
    }

    private static int indexOfAny(final String s, final char a, final char b) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == a || s.charAt(i) == b) {
                return i;
            }
        }
        return -1;
    }

    private static String withPort(final String ip, final String port) {
        if (ip == null || ip.isEmpty()) {
            return null;
        }
        if (port == null) {
            return ip;
        }
        return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
    }
}
