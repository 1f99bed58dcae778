package io.mailflow.detect;

import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
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
 *                                 └─ transient-failures ──► [failures-by-connector] ─ failure-episodes ─► alerts
 * queue snapshots ────────────────────────────────────────► [queue-by-connector] ─ backlog-monitor ──► alerts
 *                                                            (failure-episodes reads backlog-monitor's store connector-queue)
 * </pre>
 *
 * State stores are in memory with changelogs: all of them are bounded by open windows, open
 * episodes and connectors, and restore quickly.
 */
public final class ConnectorHealth {
    private ConnectorHealth() {
    }

    /** Adds stats windows, failure episodes and backlog alerts. traces: keyed by message; queueSnapshots: keyed by connectorId, not yet repartitioned. */
    public static void addTo(final StreamsBuilder builder, final KStream<String, MessageTrace> traces,
                             final KStream<String, ConnectorQueueSnapshot> queueSnapshots, final Topics topics,
                             final DetectionConfig config, final ConnectorCatalog catalog) {
        // The pre-aggregation stores take a write per trace: cached, so the changelog gets the
        // latest value of each key once per commit instead of every intermediate count.
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsPreAggregator.COUNTS_STORE),
            Serdes.String(), topics.avro(StatsPartial.class)).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsPreAggregator.MESSAGES_STORE),
            Serdes.String(), Serdes.Long()).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsWindowCloser.STORE),
            Serdes.String(), topics.avro(ConnectorStats.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsWindowCloser.PROGRESS_STORE),
            Serdes.String(), Serdes.Long()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(EpisodeDetector.PROGRESS_STORE),
            Serdes.String(), Serdes.Long()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(EpisodeDetector.STORE),
            Serdes.String(), topics.avro(FailureEpisode.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(EpisodeDetector.MESSAGES_STORE),
            Serdes.String(), Serdes.Long()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(BacklogMonitor.STORE),
            Serdes.String(), topics.avro(ConnectorQueue.class)));

        // classify once per trace; both branches below share the result within the task
        final KStream<String, ClassifiedTrace> attempts = traces.mapValues(ClassifiedTrace::of, Named.as("detect-classify"));

        // stats: count per input partition, repartition only the partial counts, sum and emit on close
        attempts
            .process(() -> new StatsPreAggregator(config), Named.as("stats-pre-aggregate"),
                StatsPreAggregator.COUNTS_STORE, StatsPreAggregator.MESSAGES_STORE)
            .repartition(Repartitioned.<String, StatsPartial>as("stats-partials")
                .withKeySerde(Serdes.String()).withValueSerde(topics.avro(StatsPartial.class))
                .withStreamPartitioner(new HeartbeatBroadcast<>(StatsPartial::getHeartbeat)))
            .process(() -> new StatsWindowCloser(config), Named.as("stats-window-close"),
                StatsWindowCloser.STORE, StatsWindowCloser.PROGRESS_STORE)
            .to(topics.connectorStats.name(), topics.connectorStats.produced("connector-stats-sink"));

        // backlog: latest snapshot per (connector, source partition), summed per connector
        queueSnapshots
            .repartition(Repartitioned.<String, ConnectorQueueSnapshot>as("queue-by-connector")
                .withKeySerde(Serdes.String()).withValueSerde(topics.avro(ConnectorQueueSnapshot.class)))
            .process(() -> new BacklogMonitor(config, catalog), Named.as("backlog-monitor"), BacklogMonitor.STORE)
            .to(topics.alerts.name(), topics.alerts.produced("backlog-alerts-sink"));

        // episodes: only transient failures (a small share of traffic) cross the network, keyed
        // connector|code but partitioned by connector. The detector shares connector-queue with the
        // backlog monitor, which puts both in one sub-topology; their repartition topics take their
        // partition count from the traces topic, and a connector's failures and snapshots land on
        // the same partition, so each task's store holds the queues of its own connectors
        attempts
            .process(() -> new TransientFailureRouter(config), Named.as("transient-failures"))
            .repartition(Repartitioned.<String, ConnectorFailure>as("failures-by-connector")
                .withKeySerde(Serdes.String()).withValueSerde(topics.avro(ConnectorFailure.class))
                .withStreamPartitioner(new HeartbeatBroadcast<>(ConnectorFailure::getHeartbeat, ConnectorFailure::getConnectorId)))
            .process(() -> new EpisodeDetector(config, catalog), Named.as("failure-episodes"),
                EpisodeDetector.STORE, EpisodeDetector.MESSAGES_STORE, EpisodeDetector.PROGRESS_STORE, BacklogMonitor.STORE)
            .to(topics.alerts.name(), topics.alerts.produced("failure-alerts-sink"));
    }

    /** The catalog named by {@code mailflow.connectors.catalog}, or an empty one. */
    public static ConnectorCatalog catalogFrom(final io.mailflow.app.MailflowConfig config) {
        final String path = config.get("mailflow.connectors.catalog");
        return path == null || path.isBlank() ? ConnectorCatalog.empty() : ConnectorCatalog.load(java.nio.file.Path.of(path));
    }
}
