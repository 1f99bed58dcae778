package io.mailflow.detect;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.avro.internal.PartitionQueue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * "Messages have been delayed": fires QUEUE_BACKLOG when the recipients queued longer than the
 * backlog age, summed over the source partitions' snapshots of one moment, reach the threshold;
 * RESOLVED when the sum falls below it again. Snapshots, not deltas: a replayed or retried
 * snapshot cannot double count.
 *
 * <p>Two views of a connector's queue: connector-queue holds every partition's latest snapshot
 * as soon as it arrives (the episode detector reads it for the queue figures of a failure alert,
 * which must not wait), backlog-queue the snapshots applied up to the watermark, on which the
 * backlog is judged, with the backlog alert's state.
 *
 * <p>The sum must describe one moment. One source partition's task can run minutes of event
 * time ahead of another's, so an arriving snapshot waits in backlog-pending-snapshots, ordered
 * by (asOf, source partition), until the heartbeats' {@link PartitionWatermark} has reached its
 * asOf. A source partition writes its snapshots before its heartbeat of the same time, so by
 * then every partition's snapshots up to that asOf are here. They are applied one asOf at a
 * time, and the threshold is judged once per asOf, with that asOf as the alert's event time.
 */
final class BacklogMonitor implements Processor<String, ConnectorSignal, String, ConnectorAlert> {
    static final String STORE = "connector-queue";
    static final String JUDGED_STORE = "backlog-queue";
    static final String PENDING_STORE = "backlog-pending-snapshots";
    static final String PROGRESS_STORE = "backlog-progress";
    static final String LATE_STAGE = "backlog";

    private final DetectionConfig config;
    private final ConnectorAlerts alerts;
    private ProcessorContext<String, ConnectorAlert> context;
    private KeyValueStore<String, ConnectorQueue> latest;
    private KeyValueStore<String, ConnectorQueue> queues;
    private KeyValueStore<String, ConnectorQueueSnapshot> pending;
    private PartitionWatermark progress;
    private long firingHere;

    BacklogMonitor(final DetectionConfig config, final ConnectorCatalog catalog) {
        this.config = config;
        this.alerts = new ConnectorAlerts(catalog, config);
    }

    @Override
    public void init(final ProcessorContext<String, ConnectorAlert> context) {
        this.context = context;
        this.latest = context.getStateStore(STORE);
        this.queues = context.getStateStore(JUDGED_STORE);
        this.pending = context.getStateStore(PENDING_STORE);
        this.progress = new PartitionWatermark(context.getStateStore(PROGRESS_STORE), config.partitionIdle().toMillis(),
            context.currentSystemTimeMs());
        try (KeyValueIterator<String, ConnectorQueue> it = queues.all()) {
            while (it.hasNext()) {
                if (it.next().value.getBacklogAlertId() != null) {
                    firingHere++;
                }
            }
        }
        DetectionMetrics.firingAdjust(AlertType.QUEUE_BACKLOG, firingHere);
        // when every input partition has gone quiet, the watermark moves on to the latest event time seen
        context.schedule(config.partitionIdle(), PunctuationType.WALL_CLOCK_TIME,
            now -> applyThrough(progress.current(context.currentSystemTimeMs())));
    }

    @Override
    public void close() {
        DetectionMetrics.firingAdjust(AlertType.QUEUE_BACKLOG, -firingHere);
    }

    @Override
    public void process(final Record<String, ConnectorSignal> record) {
        final ConnectorSignal signal = record.value();
        if (signal == null) {
            return;
        }
        final ConnectorFailure failure = signal.getFailure();
        if (failure != null && failure.getHeartbeat()) {
            applyThrough(progress.observe(failure.getSourcePartition(), record.timestamp(), context.currentSystemTimeMs()));
            return;
        }
        final ConnectorQueueSnapshot snapshot = signal.getQueueSnapshot();
        if (snapshot == null || snapshot.getAsOf() == null) {
            return;
        }
        if (snapshot.getConnectorId() == null) {
            snapshot.setConnectorId(record.key());
        }
        final long asOf = snapshot.getAsOf().toEpochMilli();
        // an older snapshot than the latest held is counted late when it is judged, not here
        putInto(latest, snapshot, asOf);
        pending.put(pendingKey(asOf, snapshot.getSourcePartition(), snapshot.getConnectorId()), snapshot);
        // normally the watermark is behind a new snapshot; it is not when the snapshot's source
        // partition had been idle (or unknown at start) and so stopped holding the watermark back
        applyThrough(progress.current());
    }

    /** Applies the pending snapshots with asOf up to the watermark, one asOf at a time, judging the threshold after each. */
    private void applyThrough(final long watermark) {
        if (watermark == Long.MIN_VALUE) {
            return;
        }
        final List<KeyValue<String, ConnectorQueueSnapshot>> due = new ArrayList<>();
        // only the due keys: an in-memory store copies the key set of the range it iterates,
        // and this runs on every heartbeat and snapshot
        final String firstNotDue = watermark == Long.MAX_VALUE ? null : pendingKey(watermark + 1, 0, "");
        try (KeyValueIterator<String, ConnectorQueueSnapshot> it = pending.range(null, firstNotDue)) {
            while (it.hasNext()) {
                final KeyValue<String, ConnectorQueueSnapshot> entry = it.next();
                if (entry.value.getAsOf().toEpochMilli() > watermark) {
                    break; // ordered by asOf: the rest are later still
                }
                due.add(entry);
            }
        }
        final Set<String> touched = new LinkedHashSet<>();
        for (int i = 0; i < due.size(); i++) {
            final ConnectorQueueSnapshot snapshot = due.get(i).value;
            final long asOf = snapshot.getAsOf().toEpochMilli();
            if (apply(snapshot, asOf)) {
                touched.add(snapshot.getConnectorId());
            }
            pending.delete(due.get(i).key);
            final boolean lastOfThisMoment = i + 1 == due.size() || due.get(i + 1).value.getAsOf().toEpochMilli() != asOf;
            if (lastOfThisMoment) {
                for (final String connectorId : touched) {
                    judge(connectorId, asOf);
                }
                touched.clear();
            }
        }
    }

    /** Puts a snapshot into its connector's queue; false (counted late) when a newer one of that partition is held. */
    private boolean apply(final ConnectorQueueSnapshot snapshot, final long asOf) {
        if (!putInto(queues, snapshot, asOf)) {
            DetectionMetrics.late(LATE_STAGE);
            return false;
        }
        return true;
    }

    /** Puts a snapshot into its connector's queue in {@code store}; false when a newer one of that partition is held. */
    private static boolean putInto(final KeyValueStore<String, ConnectorQueue> store, final ConnectorQueueSnapshot snapshot,
                                   final long asOf) {
        final String connectorId = snapshot.getConnectorId();
        ConnectorQueue queue = store.get(connectorId);
        if (queue == null) {
            queue = ConnectorQueue.newBuilder().setConnectorId(connectorId).setPartitions(new ArrayList<>()).build();
        }
        if (!replace(queue, snapshot, asOf)) {
            return false;
        }
        store.put(connectorId, queue);
        return true;
    }

    /** The threshold against the connector's queue as of {@code asOf}: FIRING, UPDATED, RESOLVED or nothing. */
    private void judge(final String connectorId, final long asOf) {
        final ConnectorQueue queue = queues.get(connectorId);
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
        if (alert == null) {
            return;
        }
        queues.put(connectorId, queue);
        if (alert.getState() == AlertState.FIRING) {
            firingHere++;
        } else if (alert.getState() == AlertState.RESOLVED) {
            firingHere--;
        }
        DetectionMetrics.alert(AlertType.QUEUE_BACKLOG, alert.getState());
        context.forward(new Record<>(connectorId, alert, asOf));
    }

    /**
     * Orders pending snapshots by asOf, then source partition, then connector: fixed-width hex
     * sorts as the numbers do (the in-memory store iterates its keys in byte order), and the
     * sign bit flipped keeps a negative asOf before a positive one.
     */
    static String pendingKey(final long asOf, final int sourcePartition, final String connectorId) {
        return String.format("%016x|%08x|%s", asOf ^ Long.MIN_VALUE, sourcePartition, connectorId);
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
