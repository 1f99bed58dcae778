package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.avro.internal.FailureEpisode;
import io.mailflow.serde.MockSchemaRegistry;
import io.mailflow.serde.SpecificAvroSerde;
import io.mailflow.state.BatchChangelog;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * One connector task's {@link ConnectorMonitor} with its stores, outside a topology, so a
 * specification can hand it connector-signals records from several source partitions in any
 * order it likes. A mock processor context names every store's changelog "changelog": one
 * mock:// registry scope per value type.
 */
final class ConnectorMonitorHarness {
    private static final List<Class<? extends SpecificRecord>> VALUE_TYPES =
        List.of(ConnectorSignal.class, FailureEpisode.class, ConnectorQueue.class);

    private final String scope;
    private final MockProcessorContext<String, ConnectorAlert> context = new MockProcessorContext<>(new Properties(), new TaskId(1, 0), null);
    private final DetectionConfig config;
    private ConnectorMonitor monitor;
    private KeyValueStore<Bytes, byte[]> pendingLog;
    private int seen;

    ConnectorMonitorHarness(final DetectionConfig config, final String scope) {
        this.scope = scope;
        this.config = config;
        context.setCurrentSystemTimeMs(0);
        pendingLog(avro(ConnectorSignal.class));
        store(ConnectorMonitor.PROGRESS_STORE, Serdes.Long());
        store(FailureEpisodes.STORE, avro(FailureEpisode.class));
        store(FailureEpisodes.MESSAGES_STORE, Serdes.Long());
        store(Backlog.STORE, avro(ConnectorQueue.class));
        monitor = new ConnectorMonitor(config, ConnectorCatalog.empty());
        monitor.init(context);
    }

    static void dropRegistry(final String scope) {
        VALUE_TYPES.forEach(type -> MockSchemaRegistry.dropScope(scope + "-" + type.getSimpleName()));
    }

    /** One connector-signals record; a copy, since the monitor may keep and change what it is given. */
    void process(final String key, final ConnectorSignal signal) {
        monitor.process(new Record<>(key, ConnectorSignal.newBuilder(signal).build(), 0L));
    }

    /**
     * A commit, then the task closed and started again on the committed stores (a rebalance that
     * moves it): the pending items' log writes its batch and release bound, a new monitor reads them.
     */
    void commitAndRestart() {
        ((BatchChangelog<?, ?>) pendingLog).flushCache();
        monitor.close();
        pendingLog.init(context.getStateStoreContext(), pendingLog);
        monitor = new ConnectorMonitor(config, ConnectorCatalog.empty());
        monitor.init(context);
    }

    void advanceWallClock(final long millis) {
        context.setCurrentSystemTimeMs(context.currentSystemTimeMs() + millis);
    }

    /** Every alert emitted so far, in order. */
    List<ConnectorAlert> alerts() {
        return context.forwarded().stream().map(f -> (ConnectorAlert) f.record().value()).toList();
    }

    /** The alerts emitted since the last call. */
    List<ConnectorAlert> newAlerts() {
        final List<ConnectorAlert> all = alerts();
        final List<ConnectorAlert> fresh = all.subList(seen, all.size());
        seen = all.size();
        return fresh;
    }

    void close() {
        monitor.close();
    }

    private <T extends SpecificRecord> Serde<T> avro(final Class<T> type) {
        final SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type);
        serde.configure(Map.of("schema.registry.url", "mock://" + scope + "-" + type.getSimpleName()), false);
        return serde;
    }

    /** The pending items' log as the topology builds it, over an in-memory store of batches. */
    private void pendingLog(final Serde<ConnectorSignal> serde) {
        pendingLog = BatchChangelog.untilReleased(
            Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ConnectorMonitor.PENDING_STORE), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled(), ConnectorMonitor.PENDING_SUBJECT_STORE, Serdes.String(), serde).build();
        pendingLog.init(context.getStateStoreContext(), pendingLog);
        context.addStateStore(pendingLog);
    }

    private <V> void store(final String name, final Serde<V> serde) {
        final KeyValueStore<String, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), serde)
            .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
    }
}
