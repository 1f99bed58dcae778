package io.mailflow.classify;

import io.mailflow.avro.MessageTrace;

/**
 * A trace with its classification, computed once per record by the topology's classify step and
 * shared by queue tracking, the stats and the failure branches (never serialized: it lives
 * between processors of one task).
 */
public record ClassifiedTrace(String messageKey, MessageTrace trace, Classification classification) {

    public static final String UNKNOWN_CONNECTOR = "unknown";

    /** Null for a null value (a tombstone is no attempt); the processors downstream skip it. */
    public static ClassifiedTrace of(final String messageKey, final MessageTrace trace) {
        if (trace == null) {
            return null;
        }
        return new ClassifiedTrace(messageKey, trace, FailureClassifier.classify(trace));
    }

    /** The connector, or "unknown" when the log named none: an attempt still counts somewhere. */
    public String connectorId() {
        final String id = trace.getConnectorId();
        return id == null || id.isBlank() ? UNKNOWN_CONNECTOR : id;
    }

    public long eventTime() {
        return trace.getEventTime().toEpochMilli();
    }
}
