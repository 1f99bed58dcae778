package io.mailflow.detect;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.FailureEpisode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Follows episodes of transient failures per (connector, status code), in event time:
 * <ul>
 * <li>an episode is a run of failures with no gap longer than the quiet period;</li>
 * <li>it fires once it has lasted at least fire-after (first to latest failure) and counted at
 *     least min-failures; exactly one FIRING per episode, whatever successes come in between
 *     (successes never reach this processor, so an intermittent pattern cannot flap);</li>
 * <li>while firing, an UPDATED at most every update interval, carried by a new failure;</li>
 * <li>it resolves after a full quiet period without such a failure: seen by a later failure of
 *     the same key (gap), or by the punctuation once every active input partition (the
 *     heartbeats' {@link PartitionWatermark}) is more than grace past the quiet period's end. Either way the RESOLVED carries the
 *     event time at which the quiet period ended, so replay and live runs agree.</li>
 * </ul>
 * Out-of-order failures extend the running episode when they fall within a quiet period of it;
 * ones that belong to an episode already resolved cannot reopen it and are counted as late.
 */
final class EpisodeDetector implements Processor<String, ConnectorFailure, String, ConnectorAlert> {
    static final String STORE = "failure-episodes";
    static final String MESSAGES_STORE = "failure-episode-messages";
    static final String PROGRESS_STORE = "episode-progress";
    static final String LATE_STAGE = "episodes";

    private final DetectionConfig config;
    private final ConnectorAlerts alerts;
    private final long quietMs;
    private final long fireAfterMs;
    private final long updateMs;
    private final long lateMs;
    private final long resolveDelayMs;
    private ProcessorContext<String, ConnectorAlert> context;
    private KeyValueStore<String, FailureEpisode> episodes;
    private KeyValueStore<String, Long> messages;
    private KeyValueStore<String, ConnectorQueue> queues;
    private PartitionWatermark progress;
    private long firingHere;

    EpisodeDetector(final DetectionConfig config, final ConnectorCatalog catalog) {
        this.config = config;
        this.alerts = new ConnectorAlerts(catalog, config);
        this.quietMs = config.quietPeriod().toMillis();
        this.fireAfterMs = config.fireAfter().toMillis();
        this.updateMs = config.updateInterval().toMillis();
        this.lateMs = config.grace().toMillis();
        this.resolveDelayMs = config.grace().toMillis();
    }

    @Override
    public void init(final ProcessorContext<String, ConnectorAlert> context) {
        this.context = context;
        this.episodes = context.getStateStore(STORE);
        this.messages = context.getStateStore(MESSAGES_STORE);
        this.queues = context.getStateStore(BacklogMonitor.STORE);
        this.progress = new PartitionWatermark(context.getStateStore(PROGRESS_STORE), config.partitionIdle().toMillis(),
            context.currentSystemTimeMs());
        // stores are restored before init: count the episodes this task brings back firing
        try (KeyValueIterator<String, FailureEpisode> it = episodes.all()) {
            while (it.hasNext()) {
                if (it.next().value.getFiring()) {
                    firingHere++;
                }
            }
        }
        DetectionMetrics.firingAdjust(AlertType.CONNECTOR_FAILURE, firingHere);
        context.schedule(config.heartbeat(), PunctuationType.STREAM_TIME, this::resolveQuiet);
        // when every input partition has gone quiet, the watermark moves on to the latest event time seen
        context.schedule(config.partitionIdle(), PunctuationType.WALL_CLOCK_TIME, this::resolveQuiet);
    }

    @Override
    public void close() {
        DetectionMetrics.firingAdjust(AlertType.CONNECTOR_FAILURE, -firingHere);
    }

    @Override
    public void process(final Record<String, ConnectorFailure> record) {
        final ConnectorFailure failure = record.value();
        if (failure == null) {
            return;
        }
        if (failure.getHeartbeat()) {
            progress.observe(failure.getSourcePartition(), record.timestamp(), context.currentSystemTimeMs()); // the punctuation resolves
            return;
        }
        final long t = failure.getEventTime();
        if (progress.current() != Long.MIN_VALUE && t < progress.current() - lateMs) {
            DetectionMetrics.late(LATE_STAGE);
        }
        final String key = record.key();
        FailureEpisode e = episodes.get(key);
        if (e == null) {
            e = FailureEpisode.newBuilder().setConnectorId(failure.getConnectorId()).setStatusCode(failure.getStatusCode())
                .setDestinations(new ArrayList<>()).build();
        }
        if (e.getOpen() && t > e.getLastFailureTime() + quietMs) {
            // this failure shows a gap longer than the quiet period: the running episode is over
            resolve(key, e, e.getLastFailureTime() + quietMs);
        }
        if (e.getOpen() && t < e.getFirstFailureTime() - quietMs) {
            // older than the running episode by more than a quiet period: it belonged to an earlier one
            DetectionMetrics.late(LATE_STAGE);
            return;
        }
        if (!e.getOpen()) {
            if (t <= e.getResolvedThrough() && e.getResolvedThrough() > 0) {
                DetectionMetrics.late(LATE_STAGE); // its episode has been resolved already
                return;
            }
            open(e, t);
        }
        count(key, e, failure, t);
        final ConnectorAlert alert = transition(e);
        episodes.put(key, e);
        if (alert != null) {
            emit(alert);
        }
    }

    private static void open(final FailureEpisode e, final long t) {
        e.setOpen(true);
        e.setFirstFailureTime(t);
        e.setLastFailureTime(t);
        e.setFailureCount(0);
        e.setAffectedMessages(0);
        e.setFiring(false);
        e.setAlertId(null);
        e.setLastNotifiedTime(0);
        e.setDestinations(new ArrayList<>());
        e.setLastError(null);
    }

    private void count(final String key, final FailureEpisode e, final ConnectorFailure f, final long t) {
        e.setFailureCount(e.getFailureCount() + 1);
        e.setFirstFailureTime(Math.min(e.getFirstFailureTime(), t));
        if (t >= e.getLastFailureTime()) {
            e.setLastFailureTime(t);
            e.setLastError(f.getResponseText());
            if (f.getCategory() != null) {
                e.setCategory(f.getCategory());
            }
            if (f.getSmtpReply() != null) {
                e.setSmtpReply(f.getSmtpReply());
            }
        } else if (e.getCategory() == null) {
            e.setCategory(f.getCategory());
        }
        if (f.getMessageKey() != null) {
            // the marker's value names the episode (by where the previous one ended), so a marker
            // left from an earlier episode does not hide a message from this one
            final String marker = key + '|' + f.getMessageKey();
            final Long seenIn = messages.get(marker);
            if (seenIn == null || seenIn != e.getResolvedThrough()) {
                messages.put(marker, e.getResolvedThrough());
                e.setAffectedMessages(e.getAffectedMessages() + 1);
            }
        }
        final String destination = destination(f);
        if (destination != null) {
            final List<String> list = new ArrayList<>(e.getDestinations());
            StatsPartials.addBounded(list, destination, config.maxDestinations());
            e.setDestinations(list);
        }
    }

    private ConnectorAlert transition(final FailureEpisode e) {
        final long last = e.getLastFailureTime();
        if (!e.getFiring()) {
            if (last - e.getFirstFailureTime() >= fireAfterMs && e.getFailureCount() >= config.minFailures()) {
                e.setFiring(true);
                e.setAlertId(e.getConnectorId() + '|' + code(e) + '|' + Instant.ofEpochMilli(e.getFirstFailureTime()));
                e.setLastNotifiedTime(last);
                return alerts.failure(e, AlertState.FIRING, last, queue(e.getConnectorId()));
            }
            return null;
        }
        if (last - e.getLastNotifiedTime() >= updateMs) {
            e.setLastNotifiedTime(last);
            return alerts.failure(e, AlertState.UPDATED, last, queue(e.getConnectorId()));
        }
        return null;
    }

    /** Ends an episode: RESOLVED if it fired, and in any case remember where it ended and drop its markers. */
    private void resolve(final String key, final FailureEpisode e, final long resolvedAt) {
        if (e.getFiring()) {
            emit(alerts.failure(e, AlertState.RESOLVED, resolvedAt, queue(e.getConnectorId())));
        }
        e.setOpen(false);
        e.setFiring(false);
        e.setResolvedThrough(resolvedAt);
        final List<String> markers = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = messages.prefixScan(key + '|', new StringSerializer())) {
            while (it.hasNext()) {
                markers.add(it.next().key);
            }
        }
        markers.forEach(messages::delete);
    }

    /** Stream-time punctuation: resolve every episode whose quiet period ended a grace ago on every input partition. */
    private void resolveQuiet(final long streamTime) {
        final long watermark = progress.current(context.currentSystemTimeMs());
        final List<KeyValue<String, FailureEpisode>> ended = new ArrayList<>();
        try (KeyValueIterator<String, FailureEpisode> it = episodes.all()) {
            while (it.hasNext()) {
                final KeyValue<String, FailureEpisode> entry = it.next();
                final FailureEpisode e = entry.value;
                if (e.getOpen() && watermark > e.getLastFailureTime() + quietMs + resolveDelayMs) {
                    ended.add(entry);
                }
            }
        }
        for (final KeyValue<String, FailureEpisode> entry : ended) {
            resolve(entry.key, entry.value, entry.value.getLastFailureTime() + quietMs);
            episodes.put(entry.key, entry.value);
        }
    }

    private QueueTotals queue(final String connectorId) {
        return QueueTotals.of(queues.get(connectorId), config.maxDestinations());
    }

    private void emit(final ConnectorAlert alert) {
        if (alert.getState() == AlertState.FIRING) {
            firingHere++;
        } else if (alert.getState() == AlertState.RESOLVED) {
            firingHere--;
        }
        DetectionMetrics.alert(alert.getType(), alert.getState());
        context.forward(new Record<>(alert.getConnectorId(), alert, alert.getEventTime().toEpochMilli()));
    }

    private static String code(final FailureEpisode e) {
        return e.getStatusCode() == null ? ConnectorKeys.NO_CODE : e.getStatusCode();
    }

    private static String destination(final ConnectorFailure f) {
        final String host = f.getDestinationHost();
        final String ip = f.getDestinationIp();
        if (host != null && ip != null && !host.equals(ip)) {
            return host + ' ' + ip;
        }
        return host != null ? host : ip;
    }
}
