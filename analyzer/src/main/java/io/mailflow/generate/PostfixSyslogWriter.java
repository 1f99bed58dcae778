package io.mailflow.generate;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import java.io.IOException;
import java.io.Writer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Writes Postfix syslog lines (mail.log): per message {@code smtpd client=}, {@code cleanup
 * message-id=} and {@code qmgr from=, size=, nrcpt=}; per recipient and attempt {@code smtp}
 * (or {@code local}) {@code to=, relay=, delay=, delays=, dsn=, status=}; {@code qmgr ...
 * status=expired, returned to sender} on expiry and {@code qmgr removed} once every recipient is done.
 *
 * <p>Timestamps are RFC 3339 with microseconds (rsyslog's high-precision format) unless BSD
 * ({@code Mar  2 08:00:00}) is asked for; BSD stamps carry no year.
 */
public final class PostfixSyslogWriter implements TraceOutput {
    /** How the syslog time stamp is written. */
    public enum TimestampStyle { RFC3339, BSD }

    private static final DateTimeFormatter RFC3339 =
        DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter BSD = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final Writer out;
    private final TimestampStyle style;
    private final Map<String, QueuedMessage> queued = new HashMap<>();
    private final List<MessageTrace> group = new ArrayList<>();

    /** What the log needs to remember about a message until its last recipient is done. */
    private static final class QueuedMessage {
        final Instant receivedAt;
        int remaining;

        QueuedMessage(final Instant receivedAt, final int remaining) {
            this.receivedAt = receivedAt;
            this.remaining = remaining;
        }
    }

    public PostfixSyslogWriter(final Writer out, final TimestampStyle style) {
        this.out = out;
        this.style = style;
    }

    @Override
    public void accept(final MessageTrace trace) throws IOException {
        if (!group.isEmpty() && !sameEvent(group.get(0), trace)) {
            flushGroup();
        }
        group.add(trace);
    }

    private static boolean sameEvent(final MessageTrace a, final MessageTrace b) {
        return a.getEventTime().equals(b.getEventTime()) && a.getEventType() == b.getEventType()
            && Objects.equals(a.getInternalMessageId(), b.getInternalMessageId())
            && Objects.equals(a.getSourceServer(), b.getSourceServer());
    }

    private void flushGroup() throws IOException {
        final MessageTrace first = group.get(0);
        final String qid = first.getInternalMessageId();
        switch (first.getEventType()) {
            case RECEIVE -> {
                queued.put(key(first), new QueuedMessage(first.getEventTime(), group.size()));
                line(first, "smtpd", qid + ": client=" + first.getRemoteHost() + "[" + first.getRemoteIp() + "]");
                line(first, "cleanup", qid + ": message-id=" + first.getMessageId());
                line(first, "qmgr", qid + ": from=<" + nz(first.getSender()) + ">, size=" + nz(first.getSizeBytes())
                    + ", nrcpt=" + group.size() + " (queue active)");
            }
            case EXPIRE -> {
                line(first, "qmgr", qid + ": from=<" + nz(first.getSender()) + ">, status=expired, returned to sender");
                done(first, group.size());
            }
            default -> {
                for (final MessageTrace t : group) {
                    delivery(t);
                }
                final EventType type = first.getEventType();
                if (type == EventType.SEND || type == EventType.DELIVER || type == EventType.FAIL) {
                    done(first, group.size());
                }
            }
        }
        group.clear();
    }

    private void delivery(final MessageTrace t) throws IOException {
        final QueuedMessage m = queued.get(key(t));
        final double delay = m == null ? 0.5 : Math.max(0.01, (t.getEventTime().toEpochMilli() - m.receivedAt.toEpochMilli()) / 1000.0);
        final boolean local = "local".equals(t.getConnectorId());
        final String status = switch (t.getEventType()) {
            case SEND, DELIVER -> "sent";
            case DEFER -> "deferred";
            default -> "bounced";
        };
        // a connection that never came up leaves no relay to name
        final boolean noConnection = "4.4.1".equals(t.getStatusCode()) || "4.4.3".equals(t.getStatusCode());
        final String relay = local ? "local" : noConnection ? "none" : t.getRemoteHost() + "[" + t.getRemoteIp() + "]:25";
        final double setup = "4.4.1".equals(t.getStatusCode()) && nz(t.getResponseText()).contains("timed out") ? 30 : 0.05;
        final double transmission = noConnection ? 0 : 0.2;
        final double inQueue = Math.max(0, delay - 0.1 - setup - transmission);
        line(t, local ? "local" : "smtp", t.getInternalMessageId() + ": to=<" + nz(t.getRecipient()) + ">, relay=" + relay
            + ", delay=" + seconds(delay) + ", delays=0.1/" + seconds(inQueue) + "/" + seconds(setup) + "/"
            + seconds(transmission) + ", dsn=" + nz(t.getStatusCode()) + ", status=" + status + " (" + nz(t.getResponseText()) + ")");
    }

    private void done(final MessageTrace t, final int recipients) throws IOException {
        final QueuedMessage m = queued.get(key(t));
        if (m == null) {
            return;
        }
        m.remaining -= recipients;
        if (m.remaining <= 0) {
            queued.remove(key(t));
            line(t, "qmgr", t.getInternalMessageId() + ": removed");
        }
    }

    /** Postfix prints delays with two significant decimals below 10 s and whole seconds above. */
    private static String seconds(final double s) {
        if (s >= 10) {
            return Long.toString(Math.round(s));
        }
        return String.format(Locale.ROOT, "%.2f", s).replaceAll("0$", "").replaceAll("\\.$", "");
    }

    private void line(final MessageTrace t, final String process, final String text) throws IOException {
        final String host = t.getSourceServer() == null ? "mx1" : t.getSourceServer();
        final String stamp = style == TimestampStyle.BSD ? BSD.format(t.getEventTime()) : RFC3339.format(t.getEventTime());
        out.write(stamp + " " + host + " postfix/" + process + "[" + pid(host, process) + "]: " + text + "\n");
    }

    /** One long-lived process id per host and daemon, as a running Postfix has. */
    private static int pid(final String host, final String process) {
        return 1000 + Math.floorMod((host + process).hashCode(), 30_000);
    }

    private static String key(final MessageTrace t) {
        return t.getSourceServer() + "/" + t.getInternalMessageId();
    }

    private static String nz(final Object o) {
        return o == null ? "" : o.toString();
    }

    @Override
    public void close() throws IOException {
        if (!group.isEmpty()) {
            flushGroup();
        }
        out.close();
    }
}
