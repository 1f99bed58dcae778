package io.mailflow.detect;

import io.mailflow.avro.MessageTrace;
import io.mailflow.classify.Classification;
import io.mailflow.classify.FailureClassifier;

/**
 * A trace with its classification, computed once per record and shared by the stats and the
 * failure branches (never serialized: it lives between two processors of one task).
 */
record ClassifiedTrace(String messageKey, MessageTrace trace, Classification classification) {

    static final String UNKNOWN_CONNECTOR = "unknown";

    /** Null for a null value (a tombstone is no attempt); the processors downstream skip it. */
    static ClassifiedTrace of(final String messageKey, final MessageTrace trace) {
        if (trace == null) {
            return null;
        }
        return new ClassifiedTrace(messageKey, trace, FailureClassifier.classify(trace));
    }

    /** The connector, or "unknown" when the log named none: an attempt still counts somewhere. */
    String connectorId() {
        final String id = trace.getConnectorId();
        return id == null || id.isBlank() ? UNKNOWN_CONNECTOR : id;
    }

    long eventTime() {
        return trace.getEventTime().toEpochMilli();
    }
}
