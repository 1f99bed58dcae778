package io.mailflow.detect;

import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.PartitionQueue;
import java.util.ArrayList;
import java.util.List;

/** One connector's queue summed over the latest snapshots of all source partitions. */
record QueueTotals(long queuedRecipients, long queuedOverAge, Long oldestQueuedTime, String lastError,
                   String lastStatusCode, List<String> destinations) {

    static final QueueTotals NONE = new QueueTotals(0, 0, null, null, null, List.of());

    static QueueTotals of(final ConnectorQueue queue, final int maxDestinations) {
        if (queue == null || queue.getPartitions().isEmpty()) {
            return NONE;
        }
        long queued = 0;
        long overAge = 0;
        Long oldest = null;
        String lastError = null;
        String lastCode = null;
        long lastErrorAsOf = Long.MIN_VALUE;
        final List<String> destinations = new ArrayList<>();
        for (final PartitionQueue p : queue.getPartitions()) {
            queued += Math.max(0, p.getQueuedRecipients());
            overAge += Math.max(0, p.getQueuedOverAge());
            if (p.getQueuedRecipients() > 0 && p.getOldestQueuedTime() != null
                && (oldest == null || p.getOldestQueuedTime() < oldest)) {
                oldest = p.getOldestQueuedTime();
            }
            if (p.getLastError() != null && p.getAsOf() >= lastErrorAsOf) {
                lastError = p.getLastError();
                lastCode = p.getLastStatusCode();
                lastErrorAsOf = p.getAsOf();
            }
            for (final String d : p.getDestinations()) {
                StatsPartials.addBounded(destinations, d, maxDestinations);
            }
        }
        return new QueueTotals(queued, overAge, oldest, lastError, lastCode, destinations);
    }
}
