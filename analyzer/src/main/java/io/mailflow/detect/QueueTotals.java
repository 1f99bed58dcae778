package io.mailflow.detect;

import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.PartitionQueue;
import io.mailflow.queue.RecentDestinations;
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
        long lastErrorTime = Long.MIN_VALUE;
        final RecentDestinations destinations = RecentDestinations.empty(maxDestinations);
        for (final PartitionQueue p : queue.getPartitions()) {
            queued += Math.max(0, p.getQueuedRecipients());
            overAge += Math.max(0, p.getQueuedOverAge());
            if (p.getQueuedRecipients() > 0 && p.getOldestQueuedTime() != null
                && (oldest == null || p.getOldestQueuedTime() < oldest)) {
                oldest = p.getOldestQueuedTime();
            }
            // the latest error by its attempt's time, ties by the greater text: the rule each
            // partition applies to its own attempts, so the merge equals one partition's view
            if (p.getLastError() != null && (lastError == null || p.getLastErrorTime() > lastErrorTime
                || p.getLastErrorTime() == lastErrorTime && p.getLastError().compareTo(lastError) > 0)) {
                lastError = p.getLastError();
                lastCode = p.getLastStatusCode();
                lastErrorTime = p.getLastErrorTime();
            }
            destinations.addAll(p.getDestinations(), p.getDestinationTimes());
        }
        return new QueueTotals(queued, overAge, oldest, lastError, lastCode, new ArrayList<>(destinations.names()));
    }
}
