package io.mailflow.detect;

import io.mailflow.classify.ClassifiedTrace;
import io.mailflow.config.DetectionConfig;
import static io.mailflow.detect.TestTraces.deferral;
import static io.mailflow.detect.TestTraces.delivery;
import static io.mailflow.detect.TestTraces.minutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.internal.StatsPartial;
import io.mailflow.classify.FailureClassifier;
import io.mailflow.emit.Topics;
import io.mailflow.serde.MockSchemaRegistry;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The test driver runs one partition; here three pre-aggregation tasks (one per input
 * partition) feed one closer directly, the way the partials topic would, in an order where the
 * slowest partition's partial arrives after the others' heartbeats.
 */
@DisplayName("Stats partials from several input partitions add up to one window")
class StatsAcrossPartitionsTest {
    private static final String CONTOSO = "Outbound to Contoso";
    private static Topics topics;
    private final DetectionConfig config = DetectionConfig.defaults();

    @BeforeAll
    static void registry() {
        topics = new Topics(MailflowConfig.builder().defaults().override("schema.registry.url", "mock://detect-partitions").build());
    }

    @AfterAll
    static void dropRegistry() {
        MockSchemaRegistry.dropScope("detect-partitions");
        MockSchemaRegistry.dropScope("detect-partitions-StatsPartial");
        MockSchemaRegistry.dropScope("detect-partitions-ConnectorStats");
    }

    /** One input partition's task: a pre-aggregator with its own stores. */
    private final class Partition {
        final MockProcessorContext<String, StatsPartial> context;
        final StatsPreAggregator processor = new StatsPreAggregator(config, "mailflow.traces");

        Partition(final int partition) {
            context = new MockProcessorContext<>(new java.util.Properties(), new org.apache.kafka.streams.processor.TaskId(0, partition),
                null);
            context.setCurrentSystemTimeMs(0);
            context.setCurrentStreamTimeMs(0);
            store(context, StatsPreAggregator.COUNTS_STORE, avro(StatsPartial.class));
            final org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]> log =
                io.mailflow.state.BatchChangelog.store(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsPreAggregator.MESSAGES_LOG_STORE),
                        Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled(), StatsPreAggregator.MESSAGES_STORE, Serdes.String(), Serdes.String(),
                    StatsPreAggregator.messagesRetention(config)).build();
            log.init(context.getStateStoreContext(), log);
            context.addStateStore(log);
            processor.init(context);
        }

        void pipe(final MessageTrace trace) {
            final long t = trace.getEventTime().toEpochMilli();
            context.setCurrentStreamTimeMs(Math.max(context.currentStreamTimeMs(), t));
            processor.process(new Record<>(trace.getMessageId(), ClassifiedTrace.of(trace.getMessageId(), trace), t));
        }

        List<Record<String, StatsPartial>> sent() {
            final List<Record<String, StatsPartial>> out = new ArrayList<>();
            context.forwarded().forEach(f -> out.add(new Record<>(f.record().key(), f.record().value(), f.record().timestamp())));
            context.resetForwards();
            return out;
        }
    }

    /** A mock processor context names every store's changelog "changelog": one registry scope per value type. */
    private static <T extends org.apache.avro.specific.SpecificRecord> Serde<T> avro(final Class<T> type) {
        final io.mailflow.serde.SpecificAvroSerde<T> serde = new io.mailflow.serde.SpecificAvroSerde<>(type);
        serde.configure(java.util.Map.of("schema.registry.url", "mock://detect-partitions-" + type.getSimpleName()), false);
        return serde;
    }

    private static <V> void store(final MockProcessorContext<?, ?> context, final String name, final Serde<V> serde) {
        final KeyValueStore<String, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), serde)
            .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
    }

    @Test
    void countsOfAllPartitionsAddUpAndDistinctMessagesAreNotDoubleCounted() {
        final Partition p0 = new Partition(0);
        final Partition p1 = new Partition(1);
        final Partition p2 = new Partition(2);
        // a message lives in one partition: <m1> and <m2> in p0, <m3> in p1, <m4> in p2
        p0.pipe(deferral(CONTOSO, "4.4.316", minutes(0.5), "<m1@x>"));
        p0.pipe(deferral(CONTOSO, "4.4.316", minutes(3), "<m1@x>"));
        p0.pipe(deferral(CONTOSO, "4.4.316", minutes(4), "<m2@x>"));
        p1.pipe(deferral(CONTOSO, "4.4.316", minutes(1), "<m3@x>"));
        p1.pipe(delivery(CONTOSO, minutes(4.5), "<m3@x>"));
        p2.pipe(deferral(CONTOSO, "4.4.316", minutes(2), "<m4@x>"));
        p2.pipe(deferral(CONTOSO, "4.4.316", minutes(3), "<m4@x>"));
        p2.pipe(deferral(CONTOSO, "4.4.316", minutes(4.9), "<m4@x>"));

        final List<Record<String, StatsPartial>> p2Start = p2.sent(); // includes p2's heartbeats up to 10:04:54

        // p0 and p1 race ahead to 10:20 (as in a fast replay); p2, busy but behind, gets to 10:06:30 only later
        p0.pipe(delivery("other", minutes(20), "<z0@x>"));
        p1.pipe(delivery("other", minutes(20), "<z1@x>"));
        final List<Record<String, StatsPartial>> early = new ArrayList<>(p0.sent());
        early.addAll(p1.sent());
        p2.pipe(delivery("other", minutes(6.5), "<z2@x>"));
        final List<Record<String, StatsPartial>> slow = p2.sent();

        final MockProcessorContext<String, ConnectorStats> closerContext = new MockProcessorContext<>();
        store(closerContext, StatsWindowCloser.STORE, avro(ConnectorStats.class));
        closerContext.setCurrentStreamTimeMs(0);
        closerContext.setCurrentSystemTimeMs(0);
        store(closerContext, StatsWindowCloser.PROGRESS_STORE, Serdes.Long());
        final StatsWindowCloser closer = new StatsWindowCloser(config);
        closer.init(closerContext);
        closerContext.setCurrentSystemTimeMs(config.partitionIdle().toMillis()); // past the start-up wait, and no partition idle
        p2Start.forEach(closer::process);
        early.forEach(closer::process);
        assertEquals(List.of(), closerContext.forwarded(), "the window waits for the slowest partition (p2, at 10:04:54)");
        slow.forEach(closer::process); // p2's partial, then its heartbeat of 10:06:30: every partition is past 10:05 + 1 min

        final List<ConnectorStats> emitted = closerContext.forwarded().stream().map(f -> (ConnectorStats) f.record().value())
            .filter(s -> s.getConnectorId().equals(CONTOSO)).toList();
        assertEquals(2, emitted.size(), () -> "one per code: " + emitted);
        final ConnectorStats refused = emitted.stream().filter(s -> "4.4.316".equals(s.getStatusCode())).findFirst().orElseThrow();
        assertEquals(7, refused.getFailures(), "3 + 1 + 3 failures");
        assertEquals(4, refused.getDistinctMessages(), "m1, m2, m3, m4: m1 and m4 failed more than once but count once");
        final ConnectorStats delivered = emitted.stream().filter(s -> "2.0.0".equals(s.getStatusCode())).findFirst().orElseThrow();
        assertEquals(1, delivered.getDeliveries());

        // a partial for the closed window coming even later is not emitted again, only counted as late
        final double lateBefore = TestMetrics.late(StatsWindowCloser.LATE_STAGE);
        closerContext.resetForwards();
        final StatsPartial straggler = StatsPartials.empty(CONTOSO, "4.4.316", null, minutes(0).toEpochMilli(), minutes(5).toEpochMilli());
        StatsPartials.count(straggler, FailureClassifier.classify(deferral(CONTOSO, "4.4.316", minutes(1), "<m9@x>")), true, 10);
        closer.process(new Record<>(CONTOSO + "|4.4.316", straggler, minutes(6).toEpochMilli()));
        closer.process(new Record<>("", StatsPartials.heartbeat(2, minutes(30).toEpochMilli()), minutes(30).toEpochMilli()));
        assertTrue(closerContext.forwarded().stream().noneMatch(f -> f.record().value().getConnectorId().equals(CONTOSO)
            && f.record().value().getWindowStart().equals(minutes(0))));
        assertEquals(lateBefore + 1, TestMetrics.late(StatsWindowCloser.LATE_STAGE));
    }

    @Test
    void partialsAddFieldByFieldAndDestinationsStayBounded() {
        final StatsPartial a = StatsPartials.empty(CONTOSO, "4.4.316", null, 0, 300_000);
        final StatsPartial b = StatsPartials.empty(CONTOSO, "4.4.316", null, 0, 300_000);
        for (int i = 0; i < 8; i++) {
            StatsPartials.count(a, FailureClassifier.classify(TestTraces.trace(io.mailflow.avro.EventType.DEFER, minutes(1))
                .setStatusCode("4.4.316").setRemoteHost("mx" + i + ".contoso.com").build()), i % 2 == 0, 5);
        }
        StatsPartials.count(b, FailureClassifier.classify(delivery(CONTOSO, minutes(2), "<d@x>")), true, 5);
        assertEquals(8, a.getFailures());
        assertEquals(4, a.getDistinctMessages());
        assertEquals(5, a.getDestinations().size(), "bounded at max-destinations");
        final ConnectorStats sum = StatsPartials.start(a);
        StatsPartials.add(sum, a, 6);
        StatsPartials.add(sum, b, 6);
        assertEquals(8, sum.getFailures());
        assertEquals(1, sum.getDeliveries());
        assertEquals(5, sum.getDistinctMessages());
        assertEquals(6, sum.getDestinations().size());
    }
}
