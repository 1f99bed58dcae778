package io.mailflow.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.mailflow.queue.RecentDestinations;
import java.util.ArrayList;
import java.util.List;

/**
 * One connector's queue summed over the traces partitions that hold its recipients, by the rules
 * the backlog monitor merges partition snapshots with: counts add up, the oldest is the minimum,
 * the last error is the one with the latest attempt time (ties: the greater text), destinations
 * are the most recently attempted ones. So the figures do not depend on how the recipients spread
 * over partitions or instances.
 */
final class MergedQueue {
    private final String connectorId;
    private long queuedRecipients;
    private long queuedOverAge;
    private Long oldestQueuedTime;
    private String lastError;
    private String lastStatusCode;
    private long lastErrorTime = Long.MIN_VALUE;
    private long lastAttemptTime = Long.MIN_VALUE;
    private final RecentDestinations destinations;

    MergedQueue(final String connectorId, final int maxDestinations) {
        this.connectorId = connectorId;
        this.destinations = RecentDestinations.empty(maxDestinations);
    }

    /** Adds one partition's figures, as {@link LocalState} reads them. */
    void add(final JsonNode q) {
        queuedRecipients += q.path("queuedRecipients").asLong();
        queuedOverAge += q.path("queuedOverAge").asLong();
        final JsonNode oldest = q.get("oldestQueuedTime");
        if (oldest != null && !oldest.isNull() && (oldestQueuedTime == null || oldest.asLong() < oldestQueuedTime)) {
            oldestQueuedTime = oldest.asLong();
        }
        final JsonNode error = q.get("lastError");
        final long errorTime = q.path("lastErrorTime").asLong();
        if (error != null && !error.isNull() && (lastError == null || errorTime > lastErrorTime
            || errorTime == lastErrorTime && error.asText().compareTo(lastError) > 0)) {
            lastError = error.asText();
            lastStatusCode = q.path("lastStatusCode").isNull() ? null : q.path("lastStatusCode").asText(null);
            lastErrorTime = errorTime;
        }
        final List<String> names = new ArrayList<>();
        final List<Long> times = new ArrayList<>();
        q.path("destinations").forEach(n -> names.add(n.asText()));
        q.path("destinationTimes").forEach(n -> times.add(n.asLong()));
        destinations.addAll(names, times);
        for (final long t : times) {
            lastAttemptTime = Math.max(lastAttemptTime, t);
        }
        if (lastError != null) {
            lastAttemptTime = Math.max(lastAttemptTime, lastErrorTime);
        }
    }

    String connectorId() {
        return connectorId;
    }

    long queuedRecipients() {
        return queuedRecipients;
    }

    long queuedOverAge() {
        return queuedOverAge;
    }

    Long oldestQueuedTime() {
        return queuedRecipients > 0 ? oldestQueuedTime : null;
    }

    String lastError() {
        return lastError;
    }

    String lastStatusCode() {
        return lastStatusCode;
    }

    Long lastErrorTime() {
        return lastError == null || lastErrorTime <= 0 ? null : lastErrorTime;
    }

    /** The latest attempt on the connector the state knows of (an error's or a destination's); null if none. */
    Long lastAttemptTime() {
        return lastAttemptTime <= 0 ? null : lastAttemptTime;
    }

    List<String> destinations() {
        return destinations.names();
    }
}
