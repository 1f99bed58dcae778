package io.mailflow.classify;

import io.mailflow.avro.FailureCategory;

/**
 * The classifier's reading of one trace record: outcome, reply and enhanced code (from the record
 * or parsed out of its response text), mail flow intelligence category (null unless a failure),
 * and the destination the attempt went to.
 */
public record Classification(
    Outcome outcome,
    String smtpReply,
    String statusCode,
    FailureCategory category,
    String destinationHost,
    String destinationIp) {

    public boolean isTransientFailure() {
        return outcome == Outcome.TRANSIENT_FAILURE;
    }

    public boolean isPermanentFailure() {
        return outcome == Outcome.PERMANENT_FAILURE;
    }

    public boolean isDelivered() {
        return outcome == Outcome.DELIVERED;
    }
}
