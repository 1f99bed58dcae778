package io.mailflow.detect;

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
 *                                 └─ transient-failures ─┐                     ┌─ failures + heartbeats ─ failure-episodes ─► alerts
 * queue snapshots ───────────────────────────────────────┴► [connector-signals] ┤
 *                                                                              └─ snapshots + heartbeats ─ backlog-monitor ──► alerts
 *                                      (failure-episodes reads backlog-monitor's store connector-queue)
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
        // A window's partial counts change with every trace: cached, so the changelog gets the
        // latest value once per commit. Message markers are written once each and range-scanned
        // when a window closes; a cached store copies its whole cached key set on every scan.
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsPreAggregator.COUNTS_STORE),
            Serdes.String(), topics.avro(StatsPartial.class)).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsPreAggregator.MESSAGES_STORE),
            Serdes.String(), Serdes.Long()));
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
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(BacklogMonitor.JUDGED_STORE),
            Serdes.String(), topics.avro(ConnectorQueue.class)));
        // snapshots waiting for every source partition to pass their asOf: bounded by the
        // connectors times the partitions times the grid points the slowest partition lags
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(BacklogMonitor.PENDING_STORE),
            Serdes.String(), topics.avro(ConnectorQueueSnapshot.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(BacklogMonitor.PROGRESS_STORE),
            Serdes.String(), Serdes.Long()));

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

        // failures and queue snapshots of a connector travel in ONE topic, partitioned by connector:
        // per partition the connector's task then sees them in the order the traces task emitted
        // them (snapshots of a trace before its failure), deterministic for a replay; two topics
        // would race. Only transient failures (a small share of traffic) and queue changes cross
        // the network. The detector reads the monitor's store connector-queue, which puts both in
        // one sub-topology; connector-signals takes its partition count from the traces topic, so
        // each task's store holds the queues of its own connectors
        final KStream<String, ConnectorSignal> failureSignals = attempts
            .process(() -> new TransientFailureRouter(config), Named.as("transient-failures"))
            .mapValues(ConnectorSignals::failure, Named.as("failure-signals"));
        final KStream<String, ConnectorSignal> signals = queueSnapshots
            .mapValues(ConnectorSignals::queue, Named.as("queue-signals"))
            .merge(failureSignals, Named.as("connector-signals-merge"))
            .repartition(Repartitioned.<String, ConnectorSignal>as("connector-signals")
                .withKeySerde(Serdes.String()).withValueSerde(topics.avro(ConnectorSignal.class))
                .withStreamPartitioner(new HeartbeatBroadcast<>(ConnectorSignals::isHeartbeat, ConnectorSignals::connectorId)));

        // backlog: latest snapshot per (connector, source partition), summed per connector once
        // every source partition's heartbeats have passed the snapshots' asOf, so the heartbeats
        // go to both branches
        signals
            .filter((key, signal) -> ConnectorSignals.isQueue(signal) || ConnectorSignals.isHeartbeat(signal),
                Named.as("connector-signal-queue"))
            .process(() -> new BacklogMonitor(config, catalog), Named.as("backlog-monitor"),
                BacklogMonitor.STORE, BacklogMonitor.JUDGED_STORE, BacklogMonitor.PENDING_STORE,
                BacklogMonitor.PROGRESS_STORE)
            .to(topics.alerts.name(), topics.alerts.produced("backlog-alerts-sink"));

        // episodes: keyed connector|code, with the connector's queue as of the failure
        signals
            .filter((key, signal) -> ConnectorSignals.isFailure(signal), Named.as("connector-signal-failure"))
            .mapValues(ConnectorSignal::getFailure, Named.as("failure-of-signal"))
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
