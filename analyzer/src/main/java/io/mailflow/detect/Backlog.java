package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.PartitionQueue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * "Messages have been delayed": each connector's queue as the sum of the source partitions'
 * latest snapshots (store backlog-queue), and its QUEUE_BACKLOG alert: FIRING when the recipients
 * queued longer than the backlog age reach the threshold, UPDATED at most every update interval
 * while firing, RESOLVED when the sum falls below it. Snapshots, not deltas: a replayed snapshot
 * cannot double count. The {@link ConnectorMonitor} applies the snapshots of one grid point
 * together, once every partition has passed it, and then judges: every sum describes one moment.
 */
final class Backlog {
    public static final String STORE = "backlog-queue";
    static final String LATE_STAGE = "backlog";

    private final DetectionConfig config;
    private final ConnectorAlerts alerts;
    private final KeyValueStore<String, ConnectorQueue> queues;

    Backlog(final DetectionConfig config, final ConnectorAlerts alerts, final KeyValueStore<String, ConnectorQueue> queues) {
        this.config = config;
        this.alerts = alerts;
        this.queues = queues;
    }

    /** Restored state: how many backlog alerts are firing. */
    long restore() {
        long firing = 0;
        try (KeyValueIterator<String, ConnectorQueue> it = queues.all()) {
            while (it.hasNext()) {
                final KeyValue<String, ConnectorQueue> entry = it.next();
                if (entry.value.getBacklogAlertId() != null) {
                    firing++;
                }
            }
        }
        return firing;
    }

    QueueTotals totals(final String connectorId) {
        return QueueTotals.of(queues.get(connectorId), config.maxDestinations());
    }

    /** Puts a snapshot in place of its partition's previous one; false (counted late) when a newer one is held. */
    boolean apply(final ConnectorQueueSnapshot snapshot) {
        final String connectorId = snapshot.getConnectorId();
        ConnectorQueue queue = queues.get(connectorId);
        if (queue == null) {
            queue = ConnectorQueue.newBuilder().setConnectorId(connectorId).setPartitions(new ArrayList<>()).build();
        }
        if (!replace(queue, snapshot, snapshot.getAsOf().toEpochMilli())) {
            DetectionMetrics.late(LATE_STAGE);
            return false;
        }
        queues.put(connectorId, queue);
        return true;
    }

    /** The threshold against the connector's queue as of {@code asOf}: FIRING, UPDATED, RESOLVED or null. */
    ConnectorAlert judge(final String connectorId, final long asOf) {
        final ConnectorQueue queue = queues.get(connectorId);
        if (queue == null) {
            return null;
        }
        final QueueTotals totals = QueueTotals.of(queue, config.maxDestinations());
        final boolean over = totals.queuedOverAge() >= config.backlogThreshold();
        ConnectorAlert alert = null;
        if (queue.getBacklogAlertId() == null && over) {
            queue.setBacklogAlertId(connectorId + "|QUEUE_BACKLOG|" + Instant.ofEpochMilli(asOf));
            queue.setBacklogLastNotifiedTime(asOf);
            alert = alerts.backlog(connectorId, queue.getBacklogAlertId(), asOf, AlertState.FIRING, asOf, totals);
        } else if (queue.getBacklogAlertId() != null && !over) {
            alert = alerts.backlog(connectorId, queue.getBacklogAlertId(), firedAt(queue.getBacklogAlertId()), AlertState.RESOLVED,
                asOf, totals);
            queue.setBacklogAlertId(null);
        } else if (queue.getBacklogAlertId() != null && asOf - queue.getBacklogLastNotifiedTime() >= config.updateInterval().toMillis()) {
            queue.setBacklogLastNotifiedTime(asOf);
            alert = alerts.backlog(connectorId, queue.getBacklogAlertId(), firedAt(queue.getBacklogAlertId()), AlertState.UPDATED,
                asOf, totals);
        }
        if (alert != null) {
            queues.put(connectorId, queue);
        }
        return alert;
    }

    /**
     * The moment a backlog episode fired, which its id ends with (see {@link #judge}): read back
     * from the id rather than kept in the store, so state written by an earlier version serves too.
     */
    static long firedAt(final String backlogAlertId) {
        return Instant.parse(backlogAlertId.substring(backlogAlertId.lastIndexOf('|') + 1)).toEpochMilli();
    }

    /** Puts the snapshot in place of the partition's previous one; false when the held one is newer. */
    private static boolean replace(final ConnectorQueue queue, final ConnectorQueueSnapshot s, final long asOf) {
        final List<PartitionQueue> partitions = new ArrayList<>(queue.getPartitions());
        int at = -1;
        for (int i = 0; i < partitions.size(); i++) {
            if (partitions.get(i).getSourcePartition() == s.getSourcePartition()) {
                at = i;
                break;
            }
        }
        if (at >= 0 && partitions.get(at).getAsOf() > asOf) {
            return false;
        }
        final PartitionQueue p = PartitionQueue.newBuilder()
            .setSourcePartition(s.getSourcePartition())
            .setQueuedRecipients(s.getQueuedRecipients())
            .setQueuedOverAge(s.getQueuedOverAge())
            .setOldestQueuedTime(s.getOldestQueuedTime() == null ? null : s.getOldestQueuedTime().toEpochMilli())
            .setLastError(s.getLastError())
            .setLastStatusCode(s.getLastStatusCode())
            .setLastErrorTime(s.getLastErrorTime())
            .setDestinations(new ArrayList<>(s.getDestinations()))
            .setDestinationTimes(new ArrayList<>(s.getDestinationTimes()))
            .setAsOf(asOf)
            .build();
        if (at >= 0) {
            partitions.set(at, p);
        } else {
            partitions.add(p);
        }
        queue.setPartitions(partitions);
        return true;
    }
}
