package io.mailflow.detect;

import static io.mailflow.detect.DetectionDriver.snapshot;
import static io.mailflow.detect.TestTraces.minutes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.serde.MockSchemaRegistry;
import io.mailflow.serde.SpecificAvroSerde;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The test driver runs one input partition; here the connector's task gets the snapshots and
 * heartbeats of several source partitions directly, in the order connector-signals would hand
 * them over when one partition's traces task runs ahead of another's in event time.
 */
@DisplayName("Queue backlog across source partitions that are at different event times")
class BacklogAcrossPartitionsTest {
    private static final String CONTOSO = "Outbound to Contoso";
    private static final String SCOPE = "detect-backlog-partitions";

    private final DetectionConfig config = DetectionConfig.defaults();
    private MockProcessorContext<String, ConnectorAlert> context;
    private BacklogMonitor monitor;
    private int seen;

    @BeforeEach
    void start() {
        context = new MockProcessorContext<>(new Properties(), new TaskId(1, 0), null);
        context.setCurrentSystemTimeMs(0);
        store(BacklogMonitor.STORE, avro(ConnectorQueue.class));
        store(BacklogMonitor.JUDGED_STORE, avro(ConnectorQueue.class));
        store(BacklogMonitor.PENDING_STORE, avro(ConnectorQueueSnapshot.class));
        store(BacklogMonitor.PROGRESS_STORE, Serdes.Long());
        monitor = new BacklogMonitor(config, ConnectorCatalog.empty());
        monitor.init(context);
        // past the start-up wait for every partition's first heartbeat
        context.setCurrentSystemTimeMs(config.partitionIdle().toMillis());
    }

    @AfterAll
    static void dropRegistry() {
        MockSchemaRegistry.dropScope(SCOPE + "-ConnectorQueue");
        MockSchemaRegistry.dropScope(SCOPE + "-ConnectorQueueSnapshot");
    }

    /** A mock processor context names every store's changelog "changelog": one registry scope per value type. */
    private static <T extends SpecificRecord> Serde<T> avro(final Class<T> type) {
        final SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type);
        serde.configure(Map.of("schema.registry.url", "mock://" + SCOPE + "-" + type.getSimpleName()), false);
        return serde;
    }

    private <V> void store(final String name, final Serde<V> serde) {
        final KeyValueStore<String, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), serde)
            .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
    }

    private void pipe(final ConnectorQueueSnapshot snapshot) {
        monitor.process(new Record<>(CONTOSO, ConnectorSignals.queue(snapshot), snapshot.getAsOf().toEpochMilli()));
    }

    private void heartbeat(final int sourcePartition, final Instant at) {
        monitor.process(new Record<>("", ConnectorSignals.failure(TransientFailureRouter.heartbeat(sourcePartition, at.toEpochMilli())),
            at.toEpochMilli()));
    }

    /** The alerts forwarded since the last call. */
    private List<ConnectorAlert> sent() {
        final List<ConnectorAlert> all = context.forwarded().stream().map(f -> (ConnectorAlert) f.record().value()).toList();
        final List<ConnectorAlert> fresh = all.subList(seen, all.size());
        seen = all.size();
        return fresh;
    }

    private static List<AlertState> states(final List<ConnectorAlert> alerts) {
        return alerts.stream().map(ConnectorAlert::getState).toList();
    }

    @Test
    @DisplayName("A partition 40 min ahead in event time neither resolves the backlog early nor makes it fire twice")
    void aPartitionAheadInEventTimeWaitsForTheSlowerOne() {
        pipe(snapshot(CONTOSO, 0, 300, 150, minutes(60)));
        heartbeat(0, minutes(60));
        pipe(snapshot(CONTOSO, 1, 100, 60, minutes(60)));
        heartbeat(1, minutes(60));
        final List<ConnectorAlert> firing = sent();
        assertEquals(List.of(AlertState.FIRING), states(firing));
        assertEquals(minutes(60), firing.get(0).getEventTime());
        assertEquals(210, firing.get(0).getQueuedRecipients(), "150 + 60 over age at 60");

        // partition 0's queue has drained by 100, but partition 1 has only got to 60
        pipe(snapshot(CONTOSO, 0, 0, 0, minutes(100)));
        heartbeat(0, minutes(100));
        assertEquals(List.of(), sent(), "no RESOLVED while partition 1 has not reached 100");

        // at 65 the backlog is partition 0's as of 60 (it has nothing between 60 and 100) plus partition 1's as of 65
        pipe(snapshot(CONTOSO, 1, 300, 200, minutes(65)));
        heartbeat(1, minutes(65));
        final List<ConnectorAlert> at65 = sent();
        assertEquals(List.of(AlertState.UPDATED), states(at65), "the same backlog, still going at 65: no second FIRING");
        assertEquals(minutes(65), at65.get(0).getEventTime());
        assertEquals(350, at65.get(0).getQueuedRecipients());
        assertEquals(firing.get(0).getAlertId(), at65.get(0).getAlertId());

        // both drained at 100: resolved then, once partition 1 gets there
        pipe(snapshot(CONTOSO, 1, 0, 0, minutes(100)));
        assertEquals(List.of(), sent());
        heartbeat(1, minutes(100));
        final List<ConnectorAlert> at100 = sent();
        assertEquals(List.of(AlertState.RESOLVED), states(at100));
        assertEquals(minutes(100), at100.get(0).getEventTime());
        assertEquals(firing.get(0).getAlertId(), at100.get(0).getAlertId());
    }

    @Test
    @DisplayName("The sum never mixes times: one partition's 10:10 plus another's 10:00 is no moment's backlog")
    void aSumOfDifferentMomentsDoesNotFire() {
        heartbeat(0, minutes(0));
        heartbeat(1, minutes(0));
        pipe(snapshot(CONTOSO, 1, 150, 150, minutes(0)));
        heartbeat(1, minutes(1));
        // by 10 partition 1's backlog has shrunk to 90, but its snapshot is still on its way
        pipe(snapshot(CONTOSO, 0, 102, 102, minutes(10)));
        heartbeat(0, minutes(10));
        assertEquals(List.of(), sent(), "150 as of 0 plus 102 as of 10 is no moment's backlog");
        pipe(snapshot(CONTOSO, 1, 90, 90, minutes(10)));
        heartbeat(1, minutes(10));
        assertEquals(List.of(), sent(), "150 at 0 and 192 at 10: below the threshold at every moment");
    }

    @Test
    void snapshotsOfOneMomentAreJudgedTogether() {
        pipe(snapshot(CONTOSO, 0, 300, 250, minutes(60)));
        pipe(snapshot(CONTOSO, 1, 0, 0, minutes(60)));
        heartbeat(0, minutes(60));
        heartbeat(1, minutes(60));
        assertEquals(List.of(AlertState.FIRING), states(sent()));
        // at 65 the backlog moved from partition 0's recipients to partition 1's, 250 in all:
        // judged one snapshot at a time, partition 0's alone would resolve and partition 1's refire
        pipe(snapshot(CONTOSO, 0, 0, 0, minutes(65)));
        heartbeat(0, minutes(65));
        pipe(snapshot(CONTOSO, 1, 300, 250, minutes(65)));
        heartbeat(1, minutes(65));
        assertEquals(List.of(AlertState.UPDATED), states(sent()));
    }

    @Test
    void aPartitionSilentForLongerThanTheIdleTimeNoLongerHoldsTheBacklogBack() {
        heartbeat(0, minutes(0));
        heartbeat(1, minutes(0));
        pipe(snapshot(CONTOSO, 0, 400, 250, minutes(60)));
        heartbeat(0, minutes(60));
        assertEquals(List.of(), sent(), "partition 1 is still at 0");
        // partition 1's traffic stopped: a minute and more of wall clock without its heartbeat
        context.setCurrentSystemTimeMs(context.currentSystemTimeMs() + config.partitionIdle().toMillis() + 1);
        heartbeat(0, minutes(61));
        final List<ConnectorAlert> alerts = sent();
        assertEquals(List.of(AlertState.FIRING), states(alerts));
        assertEquals(minutes(60), alerts.get(0).getEventTime());
    }

    @Test
    @DisplayName("The queue figures of failure alerts do not wait: connector-queue has every snapshot as it arrives")
    void theEpisodeDetectorsViewHasEverySnapshotAtOnce() {
        pipe(snapshot(CONTOSO, 0, 300, 150, minutes(60)));
        pipe(snapshot(CONTOSO, 1, 217, 0, minutes(61)));
        final KeyValueStore<String, ConnectorQueue> latest = context.getStateStore(BacklogMonitor.STORE);
        assertEquals(517, QueueTotals.of(latest.get(CONTOSO), config.maxDestinations()).queuedRecipients());
        assertEquals(List.of(), sent(), "while the backlog itself is judged once the watermark gets there");
    }
}
