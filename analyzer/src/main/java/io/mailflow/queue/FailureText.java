package io.mailflow.queue;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.classify.Classification;
import java.util.Locale;

/** How an attempt's error reads in NDRs and delay notices, and which records are the MTA's own expiry. */
final class FailureText {
    /** Longer texts are cut: they are kept per queued recipient and copied into every report. */
    static final int MAX_ERROR_CHARS = 400;
    static final String EXPIRED = "550 4.4.7 QUEUE.Expired; message expired";

    private FailureText() {
    }

    /** "450 4.4.316 Connection refused ..." from the reply, the enhanced code and the logged text; null if none. */
    static String errorOf(final MessageTrace trace, final Classification c) {
        final String text = trimToNull(trace.getResponseText());
        final String prefix = join(c.smtpReply(), c.statusCode());
        final String error;
        if (text == null) {
            error = prefix;
        } else if (Character.isDigit(text.charAt(0)) || prefix == null) {
            error = text; // already "450 4.4.316 ..." as Exchange and EXO log it
        } else {
            error = prefix + " " + text;
        }
        if (error == null) {
            return null;
        }
        return error.length() <= MAX_ERROR_CHARS ? error : error.substring(0, MAX_ERROR_CHARS) + "...";
    }

    /** RFC 3464 Diagnostic-Code of type smtp. */
    static String diagnostic(final String error) {
        return "smtp; " + error;
    }

    static String expiredDiagnostic(final String lastError) {
        return diagnostic(lastError == null ? EXPIRED : EXPIRED + " -> " + lastError);
    }

    /**
     * The MTA's own expiry: an EXPIRE event, or a failure whose code is X.4.7 (delivery time
     * expired, RFC 3463) or whose text says QUEUE.Expired / message expired (Exchange logs expiry
     * as FAIL with 550 4.4.7; Exchange Online as 550 5.4.300 Message expired).
     */
    static boolean isMtaExpiry(final MessageTrace trace, final Classification c) {
        if (trace.getEventType() == EventType.EXPIRE) {
            return true;
        }
        if (!c.isPermanentFailure()) {
            return false;
        }
        final String code = c.statusCode();
        if (code != null && code.endsWith(".4.7")) {
            return true;
        }
        final String text = trace.getResponseText();
        if (text == null) {
            return false;
        }
        final String lower = text.toLowerCase(Locale.ROOT);
        return lower.contains("queue.expired") || lower.contains("message expired");
    }

    /** The NDR Status of a permanent failure: the reply's enhanced code, else a generic one of its class. */
    static String permanentStatus(final Classification c) {
        final String code = c.statusCode();
        if (code != null && !code.isBlank()) {
            return code;
        }
        final String reply = c.smtpReply();
        return reply != null && reply.startsWith("4") ? "4.0.0" : "5.0.0";
    }

    /** The return path if the trace has one, else the sender; null for the null sender (bounces get no NDR address). */
    static String originalSender(final MessageTrace trace) {
        final String returnPath = address(trace.getReturnPath());
        return returnPath != null ? returnPath : address(trace.getSender());
    }

    static String address(final String raw) {
        final String a = trimToNull(raw);
        if (a == null || a.equals("<>")) {
            return null;
        }
        return a.startsWith("<") && a.endsWith(">") ? trimToNull(a.substring(1, a.length() - 1)) : a;
    }

    static String remoteMta(final Classification c) {
        final String host = trimToNull(c.destinationHost());
        return host != null ? host : trimToNull(c.destinationIp());
    }

    static String trimToNull(final String s) {
        if (s == null) {
            return null;
        }
        final String t = s.trim();
        return t.isEmpty() ? null : t;
    }

    private static String join(final String reply, final String code) {
        final String r = trimToNull(reply);
        final String s = trimToNull(code);
        if (r == null) {
            return s;
        }
        return s == null ? r : r + " " + s;
    }
}
