package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.state.PendingItems;
import io.mailflow.state.Utf8Order;
import io.mailflow.state.BatchChangelog;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * A connector's failure episodes and queue backlog, judged on one timeline that does not depend
 * on partitions, instances or arrival order. Failures and queue snapshots of many source
 * partitions arrive interleaved as the partitions' tasks progress; they wait in
 * connector-signals-pending, ordered by (event time, snapshots before failures, connector, code,
 * message), until the {@link PartitionWatermark} of the heartbeats minus grace has passed them.
 * Then they are handed to {@link Backlog} and {@link FailureEpisodes} in that order, and episodes
 * end at their own moment on the same timeline. Two runs of the same input therefore judge the
 * same items in the same order with the same queue figures, however many partitions carried them
 * and however unevenly those progressed.
 *
 * <p>The price is latency: an item is judged once the slowest partition's heartbeat is a grace
 * (1 min) past it. Only a partition that reported itself caught up and idle stops holding the
 * watermark; an item that arrives behind the watermark after all (from such a partition) is
 * judged at once and counted as late.
 *
 * <p>The pending items are held on the heap ({@link PendingItems}) and logged in batches, once
 * per commit, with the bound they were judged up to: a task that starts again gets back the items
 * not judged and goes on from that bound, as if it had not stopped (the watermark recomputed from
 * connector-progress alone can lag it, when an idle partition has reported again since).
 */
public final class ConnectorMonitor implements Processor<String, ConnectorSignal, String, ConnectorAlert> {
    /** The log of the pending items (a store of batches; the items themselves are on the heap). */
    public static final String PENDING_STORE = "connector-signals-pending-log";
    /** The name the pending items' serdes write under (the store of the items before they were logged in batches). */
    public static final String PENDING_SUBJECT_STORE = "connector-signals-pending";
    public static final String PROGRESS_STORE = "connector-progress";
    public static final String EPISODES_STORE = FailureEpisodes.STORE;
    public static final String EPISODE_MESSAGES_STORE = FailureEpisodes.MESSAGES_STORE;
    public static final String BACKLOG_STORE = Backlog.STORE;
    static final String LATE_STAGE = "connector-monitor";

    private final DetectionConfig config;
    private final ConnectorAlerts alerts;
    private final long graceMs;
    private ProcessorContext<String, ConnectorAlert> context;
    private PendingItems<String, ConnectorSignal> pending;
    private PartitionWatermark progress;
    private FailureEpisodes episodes;
    private Backlog backlog;
    private long failuresFiring;
    private long backlogsFiring;
    /** Every pending key below this was judged (and taken); null after a start. */
    private String judgedUpTo;
    /** The order key {@link #hold} gave a sequence last, and that sequence; null once an item was taken from pending. */
    private String lastOrderKey;
    private int lastSeq;

    public ConnectorMonitor(final DetectionConfig config, final ConnectorCatalog catalog) {
        this.config = config;
        this.alerts = new ConnectorAlerts(catalog, config);
        this.graceMs = config.grace().toMillis();
    }

    @Override
    public void init(final ProcessorContext<String, ConnectorAlert> context) {
        this.context = context;
        this.pending = BatchChangelog.pending(context.getStateStore(PENDING_STORE), Utf8Order.ORDER);
        // a task rolled back after an aborted transaction is initialized again on this same object:
        // fields start over, as after a restart (docs/architecture.md, "Faults lose nothing")
        touched.clear();
        lastOrderKey = null;
        judgedUpTo = null;
        this.progress = new PartitionWatermark(context.getStateStore(PROGRESS_STORE), config.sourcePartitions());
        this.episodes = new FailureEpisodes(config, alerts, context.getStateStore(FailureEpisodes.STORE),
            context.getStateStore(FailureEpisodes.MESSAGES_STORE), this::emit);
        this.backlog = new Backlog(config, alerts, context.getStateStore(Backlog.STORE));
        // stores are restored before init: count the alerts this task brings back firing
        failuresFiring = episodes.restore();
        backlogsFiring = backlog.restore();
        DetectionMetrics.firingAdjust(AlertType.CONNECTOR_FAILURE, failuresFiring);
        DetectionMetrics.firingAdjust(AlertType.QUEUE_BACKLOG, backlogsFiring);
    }

    @Override
    public void close() {
        DetectionMetrics.firingAdjust(AlertType.CONNECTOR_FAILURE, -failuresFiring);
        DetectionMetrics.firingAdjust(AlertType.QUEUE_BACKLOG, -backlogsFiring);
    }

    @Override
    public void process(final Record<String, ConnectorSignal> record) {
        final ConnectorSignal signal = record.value();
        if (signal == null) {
            return;
        }
        final ConnectorFailure failure = signal.getFailure();
        if (failure != null && failure.getHeartbeat()) {
            progress.observe(failure.getSourcePartition(), failure.getEventTime(), failure.getIdle());
            judgeThrough(judgedBefore());
            return;
        }
        final long time = timeOf(signal);
        if (time == Long.MIN_VALUE) {
            return;
        }
        if (failure == null && signal.getQueueSnapshot().getConnectorId() == null) {
            signal.getQueueSnapshot().setConnectorId(record.key());
        }
        if (time < judgedBefore()) {
            // the timeline has passed it: only a partition that had reported idle sends such a one
            DetectionMetrics.late(LATE_STAGE);
            apply(record.key(), signal, time);
            judgeSnapshots(time);
            return;
        }
        hold(orderKey(time, record.key(), signal), signal, time);
    }

    /**
     * Everything before this time has arrived from every partition (heartbeats minus grace), and
     * was judged: never before the bound judged up to before a restart.
     */
    private long judgedBefore() {
        final long watermark = progress.current();
        return Math.max(watermark == Long.MIN_VALUE ? Long.MIN_VALUE : watermark - graceMs, pending.takenBefore());
    }

    private final Set<String> touched = new LinkedHashSet<>();

    /** Judges the pending items before {@code bound} in timeline order; episodes that ended on the way resolve in their turn. */
    private void judgeThrough(final long bound) {
        if (bound == Long.MIN_VALUE) {
            return;
        }
        final String firstNotDue = timePrefix(bound);
        if (judgedUpTo != null && judgedUpTo.compareTo(firstNotDue) >= 0) {
            return; // nothing can be due that the last call did not judge
        }
        final List<Map.Entry<String, ConnectorSignal>> due = pending.takeBelow(firstNotDue);
        if (!due.isEmpty()) {
            lastOrderKey = null; // a sequence below the last one may be free again
        }
        long snapshotTime = Long.MIN_VALUE;
        for (final Map.Entry<String, ConnectorSignal> entry : due) {
            final ConnectorSignal signal = entry.getValue();
            final long time = timeOf(signal);
            if (snapshotTime != Long.MIN_VALUE && (time != snapshotTime || signal.getQueueSnapshot() == null)) {
                judgeSnapshots(snapshotTime); // the previous moment's snapshots are all applied
                snapshotTime = Long.MIN_VALUE;
            }
            episodes.resolveEndedBefore(time, backlog::totals);
            apply(keyOf(entry.getKey()), signal, time);
            if (signal.getQueueSnapshot() != null) {
                snapshotTime = time;
            }
        }
        judgeSnapshots(snapshotTime);
        episodes.resolveEndedBefore(bound, backlog::totals);
        // every item put from now on is at or past the bound (earlier ones are judged at once)
        judgedUpTo = firstNotDue;
        pending.takenBefore(bound);
    }

    private void apply(final String key, final ConnectorSignal signal, final long time) {
        if (signal.getQueueSnapshot() != null) {
            if (backlog.apply(signal.getQueueSnapshot())) {
                touched.add(signal.getQueueSnapshot().getConnectorId());
            }
        } else {
            episodes.onFailure(key, signal.getFailure(), backlog::totals);
        }
    }

    /** After all snapshots of one moment: the threshold of each connector they touched, at that moment. */
    private void judgeSnapshots(final long asOf) {
        if (asOf == Long.MIN_VALUE || touched.isEmpty()) {
            return;
        }
        for (final String connectorId : touched) {
            final ConnectorAlert alert = backlog.judge(connectorId, asOf);
            if (alert != null) {
                emit(alert);
            }
        }
        touched.clear();
    }

    private void emit(final ConnectorAlert alert) {
        final long delta = alert.getState() == AlertState.FIRING ? 1 : alert.getState() == AlertState.RESOLVED ? -1 : 0;
        if (alert.getType() == AlertType.QUEUE_BACKLOG) {
            backlogsFiring += delta;
        } else {
            failuresFiring += delta;
        }
        DetectionMetrics.alert(alert.getType(), alert.getState());
        context.forward(new Record<>(alert.getConnectorId(), alert, alert.getEventTime().toEpochMilli()));
    }

    private static long timeOf(final ConnectorSignal signal) {
        if (signal.getFailure() != null) {
            return signal.getFailure().getEventTime();
        }
        final ConnectorQueueSnapshot s = signal.getQueueSnapshot();
        return s == null || s.getAsOf() == null ? Long.MIN_VALUE : s.getAsOf().toEpochMilli();
    }

    /**
     * The timeline order: event time (fixed-width hex with the sign bit flipped, so byte order is
     * time order), snapshots before failures of the same moment, then connector and partition
     * (snapshots) or record key and message (failures): an order of the content alone, the same
     * whichever partitions carried the items. The record key is kept last, to hand it on.
     */
    static String orderKey(final long time, final String recordKey, final ConnectorSignal signal) {
        final String at = timePrefix(time);
        if (signal.getQueueSnapshot() != null) {
            final ConnectorQueueSnapshot s = signal.getQueueSnapshot();
            return at + "0|" + s.getConnectorId() + '\u0000' + partitionHex(s.getSourcePartition()) + '\u0000' + recordKey;
        }
        final String message = signal.getFailure().getMessageKey() == null ? "" : signal.getFailure().getMessageKey();
        return at + "1|" + recordKey + '\u0000' + message + '\u0000' + recordKey;
    }

    private static String timePrefix(final long time) {
        return timeHex(time ^ Long.MIN_VALUE) + '|';
    }

    /**
     * Holds the signal pending under its order key and the first free sequence number: items with
     * equal order keys (two recipients of one message failing at one moment) keep their arrival order.
     */
    private void hold(final String orderKey, final ConnectorSignal signal, final long time) {
        // the recipients of one message fail together: the next of them starts past the last
        // sequence taken, which finds the same key as from 0 while nothing pending was deleted
        int seq = orderKey.equals(lastOrderKey) ? lastSeq + 1 : 0;
        while (!pending.putIfAbsent(orderKey + '\u0000' + sequenceHex(seq), signal, time)) {
            seq++;
        }
        lastOrderKey = orderKey;
        lastSeq = seq;
    }

    private static final java.util.HexFormat HEX = java.util.HexFormat.of();

    /**
     * The pending keys' parts, as {@code String.format} wrote them ({@code %016x}, {@code %08x},
     * {@code %04x}) without the formatter, which cost 3.7 % of an embedded replay's stream thread.
     */
    static String timeHex(final long flippedTime) {
        return HEX.toHexDigits(flippedTime);
    }

    static String partitionHex(final int partition) {
        return HEX.toHexDigits(partition);
    }

    /** Four digits, more past 0xffff (as %04x), so a sequence never wraps onto a taken key. */
    static String sequenceHex(final int seq) {
        return seq <= 0xffff ? HEX.toHexDigits((short) seq) : Integer.toHexString(seq);
    }

    private static String keyOf(final String pendingKey) {
        final int end = pendingKey.lastIndexOf('\u0000');
        final int start = pendingKey.lastIndexOf('\u0000', end - 1);
        return pendingKey.substring(start + 1, end);
    }
}
