package io.mailflow.classify;

import io.mailflow.avro.EventType;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.MessageTrace;

/**
 * Turns a trace record into a {@link Classification}. Pure and allocation-light: it runs for
 * every record on the hot path. (First cut: refined by the classification work of issue 4.)
 */
public final class FailureClassifier {
    private FailureClassifier() {
    }

    public static Classification classify(final MessageTrace trace) {
        final String code = trace.getStatusCode();
        final EventType type = trace.getEventType();
        final Outcome outcome = outcome(type, code);
        final FailureCategory category = switch (outcome) {
            case TRANSIENT_FAILURE -> categoryOf(code);
            case PERMANENT_FAILURE -> FailureCategory.PERMANENT;
            default -> null;
        };
        return new Classification(outcome, trace.getSmtpReply(), code, category, trace.getRemoteHost(), trace.getRemoteIp());
    }

    static Outcome outcome(final EventType type, final String code) {
        final char cls = code == null || code.isEmpty() ? ' ' : code.charAt(0);
        return switch (type) {
            case SEND, DELIVER -> cls == '4' ? Outcome.TRANSIENT_FAILURE : cls == '5' ? Outcome.PERMANENT_FAILURE : Outcome.DELIVERED;
            case DEFER -> cls == '5' ? Outcome.PERMANENT_FAILURE : Outcome.TRANSIENT_FAILURE;
            case FAIL -> Outcome.PERMANENT_FAILURE;
            default -> cls == '5' ? Outcome.PERMANENT_FAILURE : Outcome.NOT_AN_ATTEMPT;
        };
    }

    static FailureCategory categoryOf(final String code) {
        if (code == null) {
            return FailureCategory.OTHER_TRANSIENT;
        }
        return switch (code) {
            case "4.4.312" -> FailureCategory.DNS_QUERY_FAILED;
            case "4.4.315" -> FailureCategory.CONNECTION_TIMED_OUT;
            case "4.4.316" -> FailureCategory.CONNECTION_REFUSED;
            case "4.4.317" -> FailureCategory.CANNOT_CONNECT;
            case "4.4.318" -> FailureCategory.CONNECTION_CLOSED;
            case "4.7.320" -> FailureCategory.CERTIFICATE_VALIDATION_FAILED;
            default -> FailureCategory.OTHER_TRANSIENT;
        };
    }
}
