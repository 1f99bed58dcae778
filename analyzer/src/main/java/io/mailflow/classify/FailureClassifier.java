package io.mailflow.classify;

import io.mailflow.avro.EventType;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.MessageTrace;

/**
 * Turns a trace record into a {@link Classification}. Pure and allocation-light: it runs for
 * every record on the hot path. Fields the record carries win; what it lacks (reply, enhanced
 * code, destination) is read out of its response text by {@link ResponseText}.
 *
 * <p>Category of a transient failure, most specific evidence first: a mail flow intelligence
 * code on the record; one in any link of the text; the meaning of the text's words (Postfix's
 * "Connection refused" under dsn=4.4.1 is the same failure as Exchange Online's 4.4.316);
 * otherwise OTHER_TRANSIENT. Every 5.x.x is PERMANENT whatever its words.
 */
public final class FailureClassifier {
    private FailureClassifier() {
    }

    /** Real replies and Exchange's chains stay far below this; beyond it a text is read only this far, so no record can cost much. */
    static final int MAX_TEXT_READ = 8192;

    public static Classification classify(final MessageTrace trace) {
        final String logged = trace.getResponseText();
        final String text = logged != null && logged.length() > MAX_TEXT_READ ? logged.substring(0, MAX_TEXT_READ) : logged;
        final boolean hasText = text != null && !text.isEmpty();
        // the text is only read for what the record lacks, and only as far as needed
        final String code = present(trace.getStatusCode()) ? trace.getStatusCode() : hasText ? ResponseText.headCode(text) : null;
        final String reply = present(trace.getSmtpReply()) ? trace.getSmtpReply() : hasText ? ResponseText.headReply(text) : null;
        final Outcome outcome = outcome(trace.getEventType(), code, reply);
        final FailureCategory category = switch (outcome) {
            case TRANSIENT_FAILURE -> transientCategory(code, hasText ? text : null);
            case PERMANENT_FAILURE -> FailureCategory.PERMANENT;
            default -> null;
        };
        final boolean failure = category != null;
        final String host = usableHost(trace.getRemoteHost()) ? trace.getRemoteHost()
            : failure && hasText ? ResponseText.destinationHost(text) : null;
        final String ip = usableHost(trace.getRemoteIp()) ? ResponseText.stripPort(trace.getRemoteIp())
            : failure && hasText ? ResponseText.destinationIp(text) : null;
        return new Classification(outcome, reply, code, category, host, ip);
    }

    static Outcome outcome(final EventType type, final String code) {
        return outcome(type, code, null);
    }

    static Outcome outcome(final EventType type, final String code, final String reply) {
        // a 5xx reply is permanent even when Exchange pairs it with a 4.x.x code (550 4.4.7 QUEUE.Expired)
        final boolean permanent = present(code) && code.charAt(0) == '5' || present(reply) && reply.charAt(0) == '5';
        final char cls = permanent ? '5' : present(code) ? code.charAt(0) : present(reply) ? reply.charAt(0) : ' ';
        if (type == null) {
            return cls == '5' ? Outcome.PERMANENT_FAILURE : Outcome.NOT_AN_ATTEMPT;
        }
        return switch (type) {
            case SEND, DELIVER -> cls == '4' ? Outcome.TRANSIENT_FAILURE : cls == '5' ? Outcome.PERMANENT_FAILURE : Outcome.DELIVERED;
            case DEFER -> cls == '5' ? Outcome.PERMANENT_FAILURE : Outcome.TRANSIENT_FAILURE;
            case FAIL -> Outcome.PERMANENT_FAILURE;
            default -> cls == '5' ? Outcome.PERMANENT_FAILURE : Outcome.NOT_AN_ATTEMPT;
        };
    }

    private static FailureCategory transientCategory(final String code, final String text) {
        final FailureCategory byCode = code == null ? null : categoryOfCode(code, 0, code.length());
        if (byCode != null) {
            return byCode;
        }
        final FailureCategory byText = text == null ? null : ResponseText.category(text);
        return byText != null && byText != FailureCategory.PERMANENT ? byText : FailureCategory.OTHER_TRANSIENT;
    }

    /** The category a code names on its own: one of the six mail flow intelligence codes, else OTHER_TRANSIENT / PERMANENT by class. */
    public static FailureCategory categoryOf(final String code) {
        if (code == null || code.isEmpty()) {
            return FailureCategory.OTHER_TRANSIENT;
        }
        final FailureCategory specific = categoryOfCode(code, 0, code.length());
        if (specific != null) {
            return specific;
        }
        return code.charAt(0) == '5' ? FailureCategory.PERMANENT : FailureCategory.OTHER_TRANSIENT;
    }

    /** One of the six mail flow intelligence codes in s[from, to), or null. Compares in place, no substring. */
    static FailureCategory categoryOfCode(final String s, final int from, final int to) {
        final int length = to - from;
        if (length != 7 || s.charAt(from) != '4' || s.charAt(from + 1) != '.') {
            return null;
        }
        if (s.startsWith("4.312", from + 2)) {
            return FailureCategory.DNS_QUERY_FAILED;
        }
        if (s.startsWith("4.315", from + 2)) {
            return FailureCategory.CONNECTION_TIMED_OUT;
        }
        if (s.startsWith("4.316", from + 2)) {
            return FailureCategory.CONNECTION_REFUSED;
        }
        if (s.startsWith("4.317", from + 2)) {
            return FailureCategory.CANNOT_CONNECT;
        }
        if (s.startsWith("4.318", from + 2)) {
            return FailureCategory.CONNECTION_CLOSED;
        }
        if (s.startsWith("7.320", from + 2)) {
            return FailureCategory.CERTIFICATE_VALIDATION_FAILED;
        }
        return null;
    }

    private static boolean present(final String s) {
        return s != null && !s.isEmpty();
    }

    /** Postfix logs relay=none when no connection was made; that names no destination. */
    private static boolean usableHost(final String s) {
        return s != null && !s.isBlank() && !"none".equalsIgnoreCase(s);
    }
}
