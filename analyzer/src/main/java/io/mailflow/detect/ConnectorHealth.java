package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.avro.internal.FailureEpisode;
import io.mailflow.avro.internal.StatsPartial;
import io.mailflow.emit.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * Connector health: per-connector stats windows, failure episodes and backlog alerts. Reads like
 * its diagram (docs/detection.md):
 *
 * <pre>
 * traces (by message) ─ classify ─┬─ stats-pre-aggregate ─► [stats-partials] ─ stats-window-close ─► connector-stats
 *                                 └─ transient-failures ─┐
 * queue snapshots ───────────────────────────────────────┴► [connector-signals] ─ connector-monitor ─► alerts
 *                          (failures, snapshots and heartbeats; judged in watermark order: episodes and backlog)
 * </pre>
 *
 * State stores are in memory with changelogs: all of them are bounded by open windows, open
 * episodes, connectors and what arrives within the slowest partition's lag, and restore quickly.
 */
public final class ConnectorHealth {
    private ConnectorHealth() {
    }

    /** Adds stats windows, failure episodes and backlog alerts. traces: keyed by message; queueSnapshots: keyed by connectorId, not yet repartitioned. */
    public static void addTo(final StreamsBuilder builder, final KStream<String, MessageTrace> traces,
                             final KStream<String, ConnectorQueueSnapshot> queueSnapshots, final Topics topics,
                             final DetectionConfig config, final ConnectorCatalog catalog) {
        // A window's partial counts change with every trace, a message's entry with each of its
        // attempts: both cached, so the changelog gets the latest value once per commit.
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsPreAggregator.COUNTS_STORE),
            Serdes.String(), topics.storeValues(StatsPreAggregator.COUNTS_STORE, StatsPartial.class)).withCachingEnabled());
        builder.addStateStore(Stores.windowStoreBuilder(Stores.inMemoryWindowStore(StatsPreAggregator.MESSAGES_STORE,
                StatsPreAggregator.messagesRetention(config), java.time.Duration.ofMillis(1), false),
            Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsWindowCloser.STORE),
            Serdes.String(), topics.storeValues(StatsWindowCloser.STORE, ConnectorStats.class)));
        // each source partition's progress changes with every heartbeat and is read only when the
        // task starts: cached, so the changelog gets the latest value once per commit
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsWindowCloser.PROGRESS_STORE),
            Serdes.String(), Serdes.Long()).withCachingEnabled());
        // failures and snapshots waiting for every source partition to pass them: bounded by
        // what arrives within the slowest partition's lag plus grace
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ConnectorMonitor.PENDING_STORE),
            Serdes.String(), topics.storeValues(ConnectorMonitor.PENDING_STORE, ConnectorSignal.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ConnectorMonitor.PROGRESS_STORE),
            Serdes.String(), Serdes.Long()).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(FailureEpisodes.STORE),
            Serdes.String(), topics.storeValues(FailureEpisodes.STORE, FailureEpisode.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(FailureEpisodes.MESSAGES_STORE),
            Serdes.String(), Serdes.Long()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Backlog.STORE),
            Serdes.String(), topics.storeValues(Backlog.STORE, ConnectorQueue.class)));

        // classify once per trace; both branches below share the result within the task
        final KStream<String, ClassifiedTrace> attempts = traces.mapValues(ClassifiedTrace::of, Named.as("detect-classify"));

        // stats: count per input partition, repartition only the partial counts, sum and emit on close
        attempts
            .process(() -> new StatsPreAggregator(config, topics.traces.name()), Named.as("stats-pre-aggregate"),
                StatsPreAggregator.COUNTS_STORE, StatsPreAggregator.MESSAGES_STORE)
            .repartition(Repartitioned.<String, StatsPartial>as("stats-partials")
                .withKeySerde(Serdes.String()).withValueSerde(topics.repartitionValues("stats-partials", StatsPartial.class))
                .withStreamPartitioner(new HeartbeatBroadcast<>(StatsPartial::getHeartbeat)))
            .process(() -> new StatsWindowCloser(config), Named.as("stats-window-close"),
                StatsWindowCloser.STORE, StatsWindowCloser.PROGRESS_STORE)
            .to(topics.connectorStats.name(), topics.connectorStats.produced("connector-stats-sink"));

        // failures and queue snapshots of a connector travel in ONE topic, partitioned by connector,
        // to one processor that orders them on one timeline. Only transient failures (a small share
        // of traffic), queue changes per grid point and heartbeats cross the network.
        // connector-signals takes its partition count from the traces topic
        final KStream<String, ConnectorSignal> failureSignals = attempts
            .process(() -> new TransientFailureRouter(config, topics.traces.name()), Named.as("transient-failures"))
            .mapValues(ConnectorSignals::failure, Named.as("failure-signals"));
        final KStream<String, ConnectorSignal> signals = queueSnapshots
            .mapValues(ConnectorSignals::queue, Named.as("queue-signals"))
            .merge(failureSignals, Named.as("connector-signals-merge"))
            .repartition(Repartitioned.<String, ConnectorSignal>as("connector-signals")
                .withKeySerde(Serdes.String()).withValueSerde(topics.repartitionValues("connector-signals", ConnectorSignal.class))
                .withStreamPartitioner(new HeartbeatBroadcast<>(ConnectorSignals::isHeartbeat, ConnectorSignals::connectorId)));

        // episodes and backlog of a connector, judged in timeline order once every source
        // partition's heartbeats have passed: the same alerts for any partitioning
        signals
            .process(() -> new ConnectorMonitor(config, catalog), Named.as("connector-monitor"),
                ConnectorMonitor.PENDING_STORE, ConnectorMonitor.PROGRESS_STORE, FailureEpisodes.STORE,
                FailureEpisodes.MESSAGES_STORE, Backlog.STORE)
            .to(topics.alerts.name(), topics.alerts.produced("connector-alerts-sink"));
    }

    /** The catalog named by {@code mailflow.connectors.catalog}, or an empty one. */
    public static ConnectorCatalog catalogFrom(final io.mailflow.config.MailflowConfig config) {
        final String path = config.get("mailflow.connectors.catalog");
        return path == null || path.isBlank() ? ConnectorCatalog.empty() : ConnectorCatalog.load(java.nio.file.Path.of(path));
    }
}
