package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.FailureEpisode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Episodes of transient failures per (connector, status code), in event time. The
 * {@link ConnectorMonitor} hands failures over in watermark order, so these rules see one
 * timeline whatever the partitions:
 * <ul>
 * <li>an episode is a run of failures with no gap longer than the quiet period;</li>
 * <li>it fires once it has lasted at least fire-after (first to latest failure) and counted at
 *     least min-failures; exactly one FIRING per episode, whatever successes come in between
 *     (successes never reach it, so an intermittent pattern cannot flap);</li>
 * <li>while firing, an UPDATED at most every update interval, carried by a new failure;</li>
 * <li>it resolves at last failure + quiet period, as soon as the timeline has passed that moment
 *     (a later item, or the watermark). RESOLVED carries that moment as its event time.</li>
 * </ul>
 * A failure handed over late (its partition had reported idle) that falls within a quiet period
 * of the running episode extends it; one that belongs to an episode already resolved cannot
 * reopen it and is counted as late.
 */
final class FailureEpisodes {
    public static final String STORE = "failure-episodes";
    public static final String MESSAGES_STORE = "failure-episode-messages";
    static final String LATE_STAGE = "episodes";

    private final DetectionConfig config;
    private final ConnectorAlerts alerts;
    private final KeyValueStore<String, FailureEpisode> episodes;
    private final KeyValueStore<String, Long> messages;
    private final Consumer<ConnectorAlert> emit;
    private final long quietMs;
    private final long fireAfterMs;
    private final long updateMs;
    /** Open episodes by the moment they end (last failure + quiet period), rebuilt from the store. */
    private final TreeSet<KeyValue<Long, String>> endings = new TreeSet<>((a, b) -> {
        final int c = Long.compare(a.key, b.key);
        return c != 0 ? c : a.value.compareTo(b.value);
    });

    FailureEpisodes(final DetectionConfig config, final ConnectorAlerts alerts, final KeyValueStore<String, FailureEpisode> episodes,
                    final KeyValueStore<String, Long> messages, final Consumer<ConnectorAlert> emit) {
        this.config = config;
        this.alerts = alerts;
        this.episodes = episodes;
        this.messages = messages;
        this.emit = emit;
        this.quietMs = config.quietPeriod().toMillis();
        this.fireAfterMs = config.fireAfter().toMillis();
        this.updateMs = config.updateInterval().toMillis();
    }

    /** Restored state: the open episodes' endings; returns how many episodes are firing. */
    long restore() {
        long firing = 0;
        try (KeyValueIterator<String, FailureEpisode> it = episodes.all()) {
            while (it.hasNext()) {
                final KeyValue<String, FailureEpisode> entry = it.next();
                if (entry.value.getOpen()) {
                    endings.add(KeyValue.pair(entry.value.getLastFailureTime() + quietMs, entry.key));
                }
                if (entry.value.getFiring()) {
                    firing++;
                }
            }
        }
        return firing;
    }

    /** One failure, in timeline order; {@code queue} gives the connector's queue as of now on the timeline. */
    void onFailure(final String key, final ConnectorFailure failure, final Function<String, QueueTotals> queue) {
        final long t = failure.getEventTime();
        FailureEpisode e = episodes.get(key);
        if (e == null) {
            e = FailureEpisode.newBuilder().setConnectorId(failure.getConnectorId()).setStatusCode(failure.getStatusCode())
                .setDestinations(new ArrayList<>()).build();
        }
        if (e.getOpen() && t > e.getLastFailureTime() + quietMs) {
            // a gap longer than the quiet period (only for a failure handed over late: in order,
            // the ending was resolved before this failure's time was reached)
            resolve(key, e, queue);
        }
        if (e.getOpen() && t < e.getFirstFailureTime() - quietMs) {
            DetectionMetrics.late(LATE_STAGE); // older than the running episode by more than a quiet period
            return;
        }
        if (!e.getOpen()) {
            if (t <= e.getResolvedThrough() && e.getResolvedThrough() > 0) {
                DetectionMetrics.late(LATE_STAGE); // its episode has been resolved already
                return;
            }
            open(e, t);
        } else {
            endings.remove(KeyValue.pair(e.getLastFailureTime() + quietMs, key));
        }
        count(key, e, failure, t);
        endings.add(KeyValue.pair(e.getLastFailureTime() + quietMs, key));
        final ConnectorAlert alert = transition(e, queue);
        episodes.put(key, e);
        if (alert != null) {
            emit.accept(alert);
        }
    }

    /** Resolves every open episode that ended before {@code time} (last failure + quiet period < time), earliest first. */
    void resolveEndedBefore(final long time, final Function<String, QueueTotals> queue) {
        while (!endings.isEmpty() && endings.first().key < time) {
            final KeyValue<Long, String> ending = endings.pollFirst();
            final FailureEpisode e = episodes.get(ending.value);
            if (e != null && e.getOpen()) {
                resolve(ending.value, e, queue);
                episodes.put(ending.value, e);
            }
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

    /**
     * The alert this failure makes, if any. The connector's queue totals are read only then: a
     * read decodes the connector's queue from its store, and an outage brings every deferral of
     * the connector here (a fifth of the connector monitor's samples in the bench, docs/benchmarks.md,
     * "Twenty-third session").
     */
    private ConnectorAlert transition(final FailureEpisode e, final Function<String, QueueTotals> queue) {
        final long last = e.getLastFailureTime();
        if (!e.getFiring()) {
            if (last - e.getFirstFailureTime() >= fireAfterMs && e.getFailureCount() >= config.minFailures()) {
                e.setFiring(true);
                e.setAlertId(e.getConnectorId() + '|' + code(e) + '|' + Instant.ofEpochMilli(e.getFirstFailureTime()));
                e.setLastNotifiedTime(last);
                return alerts.failure(e, AlertState.FIRING, last, queue.apply(e.getConnectorId()));
            }
            return null;
        }
        if (last - e.getLastNotifiedTime() >= updateMs) {
            e.setLastNotifiedTime(last);
            return alerts.failure(e, AlertState.UPDATED, last, queue.apply(e.getConnectorId()));
        }
        return null;
    }

    /** Ends an episode at last failure + quiet period: RESOLVED if it fired; remember where it ended and drop its markers. */
    private void resolve(final String key, final FailureEpisode e, final Function<String, QueueTotals> queue) {
        final long resolvedAt = e.getLastFailureTime() + quietMs;
        endings.remove(KeyValue.pair(resolvedAt, key));
        if (e.getFiring()) {
            emit.accept(alerts.failure(e, AlertState.RESOLVED, resolvedAt, queue.apply(e.getConnectorId())));
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
