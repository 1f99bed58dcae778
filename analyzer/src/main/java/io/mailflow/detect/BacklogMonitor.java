package io.mailflow.detect;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.PartitionQueue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * "Messages have been delayed": keeps the latest queue snapshot of every source partition per
 * connector (store connector-queue, which the episode detector reads too) and fires
 * QUEUE_BACKLOG when the recipients queued longer than the backlog age, summed over partitions,
 * reach the threshold; RESOLVED when the sum falls below it again. Snapshots, not deltas: a
 * replayed or retried snapshot cannot double count.
 */
final class BacklogMonitor implements Processor<String, ConnectorQueueSnapshot, String, ConnectorAlert> {
    static final String STORE = "connector-queue";

    private final DetectionConfig config;
    private final ConnectorAlerts alerts;
    private ProcessorContext<String, ConnectorAlert> context;
    private KeyValueStore<String, ConnectorQueue> queues;
    private long firingHere;

    BacklogMonitor(final DetectionConfig config, final ConnectorCatalog catalog) {
        this.config = config;
        this.alerts = new ConnectorAlerts(catalog, config);
    }

    @Override
    public void init(final ProcessorContext<String, ConnectorAlert> context) {
        this.context = context;
        this.queues = context.getStateStore(STORE);
        try (KeyValueIterator<String, ConnectorQueue> it = queues.all()) {
            while (it.hasNext()) {
                if (it.next().value.getBacklogAlertId() != null) {
                    firingHere++;
                }
            }
        }
        DetectionMetrics.firingAdjust(AlertType.QUEUE_BACKLOG, firingHere);
    }

    @Override
    public void close() {
        DetectionMetrics.firingAdjust(AlertType.QUEUE_BACKLOG, -firingHere);
    }

    @Override
    public void process(final Record<String, ConnectorQueueSnapshot> record) {
        final ConnectorQueueSnapshot snapshot = record.value();
        if (snapshot == null) {
            return;
        }
        final String connectorId = snapshot.getConnectorId() != null ? snapshot.getConnectorId() : record.key();
        ConnectorQueue queue = queues.get(connectorId);
        if (queue == null) {
            queue = ConnectorQueue.newBuilder().setConnectorId(connectorId).setPartitions(new ArrayList<>()).build();
        }
        final long asOf = snapshot.getAsOf().toEpochMilli();
        if (!replace(queue, snapshot, asOf)) {
            DetectionMetrics.late("backlog"); // an older snapshot than the one we hold for that partition
            return;
        }
        final QueueTotals totals = QueueTotals.of(queue, config.maxDestinations());
        final boolean over = totals.queuedOverAge() >= config.backlogThreshold();
        ConnectorAlert alert = null;
        if (queue.getBacklogAlertId() == null && over) {
            queue.setBacklogAlertId(connectorId + "|QUEUE_BACKLOG|" + Instant.ofEpochMilli(asOf));
            queue.setBacklogLastNotifiedTime(asOf);
            alert = alerts.backlog(connectorId, queue.getBacklogAlertId(), AlertState.FIRING, asOf, totals);
        } else if (queue.getBacklogAlertId() != null && !over) {
            alert = alerts.backlog(connectorId, queue.getBacklogAlertId(), AlertState.RESOLVED, asOf, totals);
            queue.setBacklogAlertId(null);
        } else if (queue.getBacklogAlertId() != null && asOf - queue.getBacklogLastNotifiedTime() >= config.updateInterval().toMillis()) {
            queue.setBacklogLastNotifiedTime(asOf);
            alert = alerts.backlog(connectorId, queue.getBacklogAlertId(), AlertState.UPDATED, asOf, totals);
        }
        queues.put(connectorId, queue);
        if (alert != null) {
            if (alert.getState() == AlertState.FIRING) {
                firingHere++;
            } else if (alert.getState() == AlertState.RESOLVED) {
                firingHere--;
            }
            DetectionMetrics.alert(AlertType.QUEUE_BACKLOG, alert.getState());
            context.forward(new Record<>(connectorId, alert, asOf));
        }
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
            .setDestinations(new ArrayList<>(s.getDestinations()))
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
