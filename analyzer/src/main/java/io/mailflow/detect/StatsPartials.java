package io.mailflow.detect;

import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.internal.StatsPartial;
import io.mailflow.classify.Classification;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The arithmetic of stats windows, kept apart from the processors so it can be checked on its
 * own: a partial counts one partition's attempts in one window; partials of all partitions add
 * up to the window's stats. Distinct messages add up because a message's traces all live in one
 * partition (the traces topic is keyed by message).
 */
final class StatsPartials {
    private StatsPartials() {
    }

    static long windowStart(final long eventTime, final long windowMs) {
        return eventTime - Math.floorMod(eventTime, windowMs);
    }

    static StatsPartial empty(final String connectorId, final String statusCode, final FailureCategory category,
                              final long windowStart, final long windowEnd) {
        return StatsPartial.newBuilder().setHeartbeat(false).setConnectorId(connectorId).setStatusCode(statusCode)
            .setCategory(category).setWindowStart(windowStart).setWindowEnd(windowEnd).setFailures(0).setDeliveries(0)
            .setDistinctMessages(0).setDestinations(new ArrayList<>()).build();
    }

    static StatsPartial heartbeat(final int sourcePartition, final long streamTime) {
        return StatsPartial.newBuilder().setHeartbeat(true).setIdle(false).setSourcePartition(sourcePartition).setConnectorId("").setWindowStart(streamTime)
            .setWindowEnd(streamTime).setDestinations(new ArrayList<>()).build();
    }

    /** Counts one attempt into a partial (mutates it: partials are task-local until flushed). */
    static void count(final StatsPartial partial, final Classification c, final boolean newMessage, final int maxDestinations) {
        if (c.isDelivered()) {
            partial.setDeliveries(partial.getDeliveries() + 1);
        } else {
            partial.setFailures(partial.getFailures() + 1);
        }
        if (newMessage) {
            partial.setDistinctMessages(partial.getDistinctMessages() + 1);
        }
        addBounded(partial.getDestinations(), c.destinationHost() != null ? c.destinationHost() : c.destinationIp(), maxDestinations);
    }

    static ConnectorStats start(final StatsPartial p) {
        return ConnectorStats.newBuilder().setConnectorId(p.getConnectorId()).setStatusCode(p.getStatusCode())
            .setCategory(p.getCategory()).setWindowStart(Instant.ofEpochMilli(p.getWindowStart()))
            .setWindowEnd(Instant.ofEpochMilli(p.getWindowEnd())).setFailures(0).setDeliveries(0).setDistinctMessages(0)
            .setDestinations(new ArrayList<>()).build();
    }

    /** Adds a partition's partial to the window's running sum. */
    static void add(final ConnectorStats sum, final StatsPartial p, final int maxDestinations) {
        sum.setFailures(sum.getFailures() + p.getFailures());
        sum.setDeliveries(sum.getDeliveries() + p.getDeliveries());
        sum.setDistinctMessages(sum.getDistinctMessages() + p.getDistinctMessages());
        if (sum.getCategory() == null) {
            sum.setCategory(p.getCategory());
        }
        for (final String d : p.getDestinations()) {
            addBounded(sum.getDestinations(), d, maxDestinations);
        }
    }

    /**
     * Keeps the {@code max} first destinations in name order. A rule that does not depend on the
     * order values come in: each partition keeps its first N, and the first N of their union are
     * the window's first N, however the partials interleave.
     */
    static void addBounded(final List<String> list, final String value, final int max) {
        if (value == null || value.isEmpty()) {
            return;
        }
        final int at = java.util.Collections.binarySearch(list, value);
        if (at >= 0) {
            return;
        }
        final int insert = -at - 1;
        if (insert >= max) {
            return;
        }
        list.add(insert, value);
        if (list.size() > max) {
            list.remove(list.size() - 1);
        }
    }
}
