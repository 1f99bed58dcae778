package io.mailflow.query;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.FailureEpisode;
import io.mailflow.avro.internal.QueuedRecipient;
import io.mailflow.avro.internal.StatsPartial;
import io.mailflow.detect.ActiveAlerts;
import io.mailflow.detect.ConnectorMonitor;
import io.mailflow.detect.StatsPreAggregator;
import io.mailflow.detect.StatsWindowCloser;
import io.mailflow.queue.QueueTracker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.RangeQuery;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * Reads of this instance's own state stores through interactive queries v2, one partition at a
 * time, for the partitions a request names. Each partition's answer is complete or absent: when
 * one of the stores a read needs cannot answer for a partition here (not held, restoring, moved
 * away), that partition is reported as failed with the reason, and its data left out, so the
 * caller can ask another instance (see {@link StateRouter}).
 *
 * <p>Every read is one of the {@link Read}s; its answer is {@code {"partitions": {"3": data},
 * "failed": {"4": "reason"}}}, the form instances exchange on {@code /api/v1/local/...}.
 */
public final class LocalState {
    /** Samples of queued recipients per connector and partition (the API shows the oldest 20 overall). */
    static final int SAMPLES = 20;
    /** Destination of recipients whose last attempt named no server. */
    static final String UNKNOWN_DESTINATION = "(unknown)";

    /** What can be read, and the store whose partitions it is addressed by. */
    public enum Read {
        /** queue-connectors: every connector's queue counts, and the partition's event time. */
        QUEUES(QueueTracker.CONNECTORS_STORE, QueueTracker.CONNECTOR_AGES_STORE),
        /** queue-connector-ages and queue-recipients: one connector's age buckets and oldest recipients. */
        QUEUE_AGES(QueueTracker.CONNECTOR_AGES_STORE, QueueTracker.RECIPIENTS_STORE),
        /** failure-episodes and backlog-queue: connectors seen by the monitor and their firing alerts. */
        MONITOR(ConnectorMonitor.EPISODES_STORE, ConnectorMonitor.BACKLOG_STORE),
        /** stats-windows: the statistics windows not closed yet, summed so far over the traces partitions that sent theirs. */
        WINDOWS(StatsWindowCloser.STORE),
        /** stats-partial-counts: each traces partition's counts of open windows it has not sent on yet. */
        WINDOW_PARTIALS(StatsPreAggregator.COUNTS_STORE),
        /** queue-recipients: recipients by message key, by address or by Message-ID. */
        RECIPIENTS(QueueTracker.RECIPIENTS_STORE);

        private final List<String> stores;

        Read(final String... stores) {
            this.stores = List.of(stores);
        }

        /** The store whose partitions address the read (its first). */
        public String store() {
            return stores.get(0);
        }

        /** Every store the read uses: all in one sub-topology, so partition p of each is in one task. */
        public List<String> stores() {
            return stores;
        }

        public String path() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Read ofPath(final String path) {
            for (final Read r : values()) {
                if (r.path().equals(path)) {
                    return r;
                }
            }
            return null;
        }
    }

    private final KafkaStreams streams;
    private final ActiveAlerts alerts;
    /** Whether the read running on this thread may use a standby replica. */
    private final ThreadLocal<Boolean> allowStandby = ThreadLocal.withInitial(() -> false);

    public LocalState(final KafkaStreams streams, final ActiveAlerts alerts) {
        this.streams = streams;
        this.alerts = alerts;
    }

    /**
     * Runs {@code read} with {@code params} on each of {@code partitions}: from the active task's
     * stores, or, with {@code standby}, from a standby replica's as well, but only one that has
     * caught up with the changelog (lag 0 when asked): a standby still restoring holds part of the
     * state, and part of the state is a wrong answer.
     */
    public ObjectNode read(final Read read, final Map<String, String> params, final Set<Integer> partitions, final boolean standby) {
        final ObjectNode out = QueryJson.object();
        final ObjectNode answered = out.putObject("partitions");
        final ObjectNode failed = out.putObject("failed");
        for (final int p : partitions) {
            try {
                if (standby) {
                    requireCaughtUp(read, p);
                }
                answered.set(Integer.toString(p), readPartition(read, params, p, standby));
            } catch (final PartitionUnavailable e) {
                failed.put(Integer.toString(p), e.getMessage());
            } catch (final RuntimeException e) {
                // the stores are closed or not created yet (starting, shutting down): ask elsewhere
                failed.put(Integer.toString(p), e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** A local standby of partition {@code p} answers only when none of the read's stores lags its changelog. */
    private void requireCaughtUp(final Read read, final int p) {
        final Map<String, Map<Integer, LagInfo>> lags = streams.allLocalStorePartitionLags();
        for (final String store : read.stores()) {
            final LagInfo lag = lags.getOrDefault(store, Map.of()).get(p);
            if (lag == null) {
                throw new PartitionUnavailable(store + " partition " + p + " is not held by this instance");
            }
            if (lag.offsetLag() > 0) {
                throw new PartitionUnavailable(store + " partition " + p + " is " + lag.offsetLag() + " changelog records behind here");
            }
        }
    }

    private ObjectNode readPartition(final Read read, final Map<String, String> params, final int p, final boolean standby) {
        this.allowStandby.set(standby);
        return switch (read) {
            case QUEUES -> queues(p);
            case QUEUE_AGES -> queueAges(p, require(params, "connector"), Long.parseLong(require(params, "asOf")));
            case MONITOR -> monitor(p, params.get("connector"));
            case WINDOWS -> windows(p, require(params, "connector"));
            case WINDOW_PARTIALS -> windowPartials(p, require(params, "connector"));
            case RECIPIENTS -> recipients(p, params);
        };
    }

    private static String require(final Map<String, String> params, final String name) {
        final String v = params.get(name);
        if (v == null) {
            throw new IllegalArgumentException("parameter " + name + " missing");
        }
        return v;
    }

    /** Every connector's counts in partition {@code p}; oldest from the age index (exact), asOf the latest event time seen. */
    private ObjectNode queues(final int p) {
        final ObjectNode data = QueryJson.object();
        final ArrayNode queues = data.putArray("queues");
        long asOf = Long.MIN_VALUE;
        for (final KeyValue<String, ConnectorQueueSnapshot> e : all(QueueTracker.CONNECTORS_STORE, p, String.class,
            ConnectorQueueSnapshot.class)) {
            if (e.key.startsWith("\u0000") || e.value == null) {
                continue; // the tracker's own bookkeeping (next grid point), not a connector
            }
            final ConnectorQueueSnapshot s = e.value;
            final ObjectNode q = queues.addObject();
            q.put("connectorId", e.key);
            q.put("queuedRecipients", Math.max(0, s.getQueuedRecipients()));
            q.put("queuedOverAge", Math.max(0, s.getQueuedOverAge()));
            final Long oldest = s.getQueuedRecipients() > 0 ? oldest(p, e.key) : null;
            if (oldest == null) {
                q.putNull("oldestQueuedTime");
            } else {
                q.put("oldestQueuedTime", oldest);
            }
            q.put("lastError", s.getLastError());
            q.put("lastStatusCode", s.getLastStatusCode());
            q.put("lastErrorTime", s.getLastErrorTime());
            final ArrayNode names = q.putArray("destinations");
            s.getDestinations().forEach(names::add);
            final ArrayNode times = q.putArray("destinationTimes");
            s.getDestinationTimes().forEach(times::add);
            asOf = Math.max(asOf, latestEventTime(s));
        }
        if (asOf != Long.MIN_VALUE) {
            data.put("asOf", asOf);
        }
        return data;
    }

    /**
     * The latest event time a snapshot holds: its report time (the epoch while a change waits for
     * the next grid point), its last error's, its destinations' last attempts.
     */
    static long latestEventTime(final ConnectorQueueSnapshot s) {
        long t = s.getAsOf() == null ? Long.MIN_VALUE : s.getAsOf().toEpochMilli();
        if (s.getLastErrorTime() > 0) {
            t = Math.max(t, s.getLastErrorTime());
        }
        for (final Long d : s.getDestinationTimes()) {
            t = Math.max(t, d);
        }
        return t <= 0 ? Long.MIN_VALUE : t;
    }

    private Long oldest(final int p, final String connector) {
        try (KeyValueIterator<Bytes, byte[]> it = range(QueueTracker.CONNECTOR_AGES_STORE, p, ageFrom(connector), ageTo(connector))) {
            return it.hasNext() ? queuedSinceOf(it.next().key, connector) : null;
        }
    }

    /** One connector's queue in partition {@code p} by age against {@code asOf}, and its oldest recipients. */
    private ObjectNode queueAges(final int p, final String connector, final long asOf) {
        final AgeBuckets buckets = new AgeBuckets();
        // every queued recipient is looked up once, for its destination: the cost of a connector's
        // view grows with its queue (1 M recipients: seconds), a price paid only when someone looks
        final List<String> recipientKeys = new ArrayList<>();
        final byte[] prefix = agePrefix(connector);
        try (KeyValueIterator<Bytes, byte[]> it = range(QueueTracker.CONNECTOR_AGES_STORE, p, ageFrom(connector), ageTo(connector))) {
            while (it.hasNext()) {
                final byte[] key = it.next().key.get();
                buckets.add(queuedSinceOf(Bytes.wrap(key), connector), asOf);
                recipientKeys.add(new String(key, prefix.length + Long.BYTES, key.length - prefix.length - Long.BYTES, StandardCharsets.UTF_8));
            }
        }
        final ObjectNode data = QueryJson.object();
        final ArrayNode ages = data.putArray("ages");
        for (final long c : buckets.counts()) {
            ages.add(c);
        }
        final ArrayNode samples = data.putArray("samples");
        final Map<String, Long> byDestination = new TreeMap<>();
        for (final String recipientKey : recipientKeys) {
            final QueuedRecipient r = get(QueueTracker.RECIPIENTS_STORE, p, recipientKey);
            if (r == null) {
                continue; // left the queue between the two reads
            }
            byDestination.merge(r.getRemoteMta() == null ? UNKNOWN_DESTINATION : r.getRemoteMta(), 1L, Long::sum);
            if (samples.size() < SAMPLES) {
                samples.add(QueryJson.recipient(r));
            }
        }
        final ObjectNode destinations = data.putObject("destinations");
        byDestination.forEach(destinations::put);
        return data;
    }

    /** Connectors the monitor holds in partition {@code p} (all, or one) and their firing alerts. */
    private ObjectNode monitor(final int p, final String connector) {
        final ObjectNode data = QueryJson.object();
        final ArrayNode ids = data.putArray("connectorIds");
        final ArrayNode firing = data.putArray("alerts");
        final Map<String, ConnectorQueue> queues = new HashMap<>();
        for (final KeyValue<String, ConnectorQueue> e : all(ConnectorMonitor.BACKLOG_STORE, p, String.class, ConnectorQueue.class)) {
            if (e.value != null && (connector == null || connector.equals(e.key))) {
                queues.put(e.key, e.value);
                ids.add(e.key);
                final ConnectorAlert backlog = alerts.backlog(e.value);
                if (backlog != null) {
                    firing.add(QueryJson.avro(backlog));
                }
            }
        }
        for (final KeyValue<String, FailureEpisode> e : all(ConnectorMonitor.EPISODES_STORE, p, String.class, FailureEpisode.class)) {
            if (e.value == null || connector != null && !connector.equals(e.value.getConnectorId())) {
                continue;
            }
            if (!queues.containsKey(e.value.getConnectorId())) {
                ids.add(e.value.getConnectorId());
            }
            // a connector's failures are partitioned by the connector alone, so its queue is in this partition too
            final ConnectorAlert failure = alerts.failure(e.value, queues.get(e.value.getConnectorId()));
            if (failure != null) {
                firing.add(QueryJson.avro(failure));
            }
        }
        return data;
    }

    /** The open statistics windows of one connector in partition {@code p}. */
    private ObjectNode windows(final int p, final String connector) {
        final ObjectNode data = QueryJson.object();
        final ArrayNode windows = data.putArray("windows");
        for (final KeyValue<String, ConnectorStats> e : all(StatsWindowCloser.STORE, p, String.class, ConnectorStats.class)) {
            if (e.value != null && connector.equals(e.value.getConnectorId())) {
                windows.add(QueryJson.avro(e.value));
            }
        }
        return data;
    }

    /**
     * The counts of one connector's open windows that traces partition {@code p} has not sent to
     * the closer yet: deltas, so added to the closer's sums they give the window's counts now.
     */
    private ObjectNode windowPartials(final int p, final String connector) {
        final ObjectNode data = QueryJson.object();
        final ArrayNode windows = data.putArray("windows");
        for (final KeyValue<String, StatsPartial> e : all(StatsPreAggregator.COUNTS_STORE, p, String.class, StatsPartial.class)) {
            final StatsPartial s = e.value;
            if (s != null && !s.getHeartbeat() && connector.equals(s.getConnectorId())) {
                final ObjectNode w = windows.addObject();
                w.put("windowStart", QueryJson.time(s.getWindowStart()));
                w.put("windowEnd", QueryJson.time(s.getWindowEnd()));
                w.put("statusCode", s.getStatusCode());
                w.put("category", s.getCategory() == null ? null : s.getCategory().name());
                w.put("failures", s.getFailures());
                w.put("deliveries", s.getDeliveries());
                w.put("distinctMessages", s.getDistinctMessages());
            }
        }
        return data;
    }

    /** Recipients in partition {@code p} by message key ({@code key}), address ({@code address}) or Message-ID ({@code messageId}). */
    private ObjectNode recipients(final int p, final Map<String, String> params) {
        final ObjectNode data = QueryJson.object();
        final ArrayNode out = data.putArray("recipients");
        final String key = params.get("key");
        if (key != null) {
            // the store key is message key, NUL, lower-cased recipient: one message is one key range
            try (KeyValueIterator<String, QueuedRecipient> it = range(QueueTracker.RECIPIENTS_STORE, p, key + '\u0000', key + '\u0001')) {
                while (it.hasNext()) {
                    final KeyValue<String, QueuedRecipient> e = it.next();
                    if (e.key.startsWith(key + '\u0000') && e.value != null) {
                        out.add(QueryJson.recipient(e.value));
                    }
                }
            }
            return data;
        }
        final String address = params.get("address");
        final String messageId = params.get("messageId");
        if (address == null && messageId == null) {
            throw new IllegalArgumentException("key, address or messageId needed");
        }
        final String lower = address == null ? null : address.trim().toLowerCase(Locale.ROOT);
        for (final KeyValue<String, QueuedRecipient> e : all(QueueTracker.RECIPIENTS_STORE, p, String.class, QueuedRecipient.class)) {
            if (e.value == null) {
                continue;
            }
            final boolean match = lower != null
                ? e.key.endsWith('\u0000' + lower)
                : messageId.equals(e.value.getMessageId()) || messageId.equals(e.value.getNetworkMessageId());
            if (match) {
                out.add(QueryJson.recipient(e.value));
            }
        }
        return data;
    }

    // --- interactive queries v2 ---

    private <K, V> List<KeyValue<K, V>> all(final String store, final int p, final Class<K> keys, final Class<V> values) {
        final List<KeyValue<K, V>> out = new ArrayList<>();
        try (KeyValueIterator<K, V> it = this.<K, V>range(store, p, null, null)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    /** Keys from {@code from} to {@code to}, both inclusive; null = unbounded. */
    private <K, V> KeyValueIterator<K, V> range(final String store, final int p, final K from, final K to) {
        final RangeQuery<K, V> q = from == null && to == null ? RangeQuery.withNoBounds() : RangeQuery.withRange(from, to);
        return run(store, p, q);
    }

    private <K, V> V get(final String store, final int p, final K key) {
        return run(store, p, KeyQuery.<K, V>withKey(key));
    }

    private <R> R run(final String store, final int p, final Query<R> query) {
        StateQueryRequest<R> request = StateQueryRequest.inStore(store).withQuery(query).withPartitions(Set.of(p));
        if (!allowStandby.get()) {
            request = request.requireActive();
        }
        final StateQueryResult<R> result = streams.query(request);
        final QueryResult<R> r = result.getPartitionResults().get(p);
        if (r == null) {
            throw new PartitionUnavailable(store + " partition " + p + " is not held by this instance");
        }
        if (!r.isSuccess()) {
            throw new PartitionUnavailable(store + " partition " + p + ": " + r.getFailureReason() + " " + r.getFailureMessage());
        }
        return r.getResult();
    }

    // --- the queue tracker's age index: connector, NUL, big-endian queued-since, recipient key ---

    private static byte[] agePrefix(final String connector) {
        final byte[] c = connector.getBytes(StandardCharsets.UTF_8);
        final byte[] p = new byte[c.length + 1];
        System.arraycopy(c, 0, p, 0, c.length);
        return p;
    }

    private static Bytes ageFrom(final String connector) {
        return Bytes.wrap(agePrefix(connector));
    }

    private static Bytes ageTo(final String connector) {
        final byte[] end = agePrefix(connector);
        end[end.length - 1] = 1; // past every key of this connector (the separator NUL + 1)
        return Bytes.wrap(end);
    }

    private static long queuedSinceOf(final Bytes key, final String connector) {
        return ByteBuffer.wrap(key.get(), agePrefix(connector).length, Long.BYTES).getLong();
    }

    /** A store of this instance cannot answer for one partition. */
    static final class PartitionUnavailable extends RuntimeException {
        PartitionUnavailable(final String message) {
            super(message);
        }
    }
}
