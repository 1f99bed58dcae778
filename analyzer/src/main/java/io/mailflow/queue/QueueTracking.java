package io.mailflow.queue;

import io.mailflow.config.QueueConfig;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.MessageMemo;
import io.mailflow.avro.internal.QueuedRecipient;
import io.mailflow.emit.Topics;
import java.time.Duration;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.Stores;

/**
 * Wires per-recipient queue tracking into a topology: one processor ({@code queue-tracker}) with
 * its stores, whose output is split into NDRs, delay notices and connector snapshots.
 */
public final class QueueTracking {
    static final String PROCESSOR = "queue-tracker";
    /** Window stores need a window size; ours are point entries (one timestamp each). */
    private static final Duration POINT = Duration.ofMillis(1);

    private QueueTracking() {
    }

    /** Adds per-recipient tracking; writes NDRs and delay notices to their topics; returns per-partition queue snapshots keyed by connectorId (not repartitioned). */
    public static KStream<String, ConnectorQueueSnapshot> addTo(final StreamsBuilder builder, final KStream<String, MessageTrace> traces,
                                                                final Topics topics, final QueueConfig config) {
        final QueueStores stores = QueueStores.DEFAULT;
        addStores(builder, topics, config, stores);

        // one processor owns all per-recipient state: a message's events are on one partition
        final KStream<String, SpecificRecord> out = traces.process(
            () -> new QueueTracker(config, stores), Named.as(PROCESSOR), stores.all());

        final Map<String, KStream<String, SpecificRecord>> byKind = out.split(Named.as("queue-output-"))
            .branch((key, value) -> value instanceof NonDeliveryReport, Branched.as("ndr"))
            .branch((key, value) -> value instanceof DelayNotice, Branched.as("delay-notice"))
            .defaultBranch(Branched.as("snapshot"));

        byKind.get("queue-output-ndr")
            .mapValues(value -> (NonDeliveryReport) value, Named.as("queue-ndr-values"))
            .to(topics.ndr.name(), topics.ndr.produced("queue-ndr-sink"));
        byKind.get("queue-output-delay-notice")
            .mapValues(value -> (DelayNotice) value, Named.as("queue-delay-notice-values"))
            .to(topics.delays.name(), topics.delays.produced("queue-delay-notice-sink"));
        // the tracker forwards only these three kinds, so the rest are snapshots
        return byKind.get("queue-output-snapshot")
            .mapValues(value -> (ConnectorQueueSnapshot) value, Named.as("queue-snapshot-values"));
    }

    /**
     * Every store is cached: a recipient retried many times between two commits reaches the
     * changelog once per commit, not once per attempt, and a message's RECEIVE and deliveries
     * land in one entry of the message memory (see {@link MessageMemory}, which keeps every read of
     * that window store bounded in time so the cache stays cheap to search).
     */
    private static void addStores(final StreamsBuilder builder, final Topics topics, final QueueConfig config,
                                  final QueueStores stores) {
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(stores.recipients()), Serdes.String(), topics.storeValues(stores.recipients(), QueuedRecipient.class)).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(stores.deadlines()), Serdes.Bytes(), Serdes.ByteArray()).withCachingEnabled());
        // arrivals and outcomes age out with their segments: no per-message cleanup work
        builder.addStateStore(Stores.windowStoreBuilder(
            Stores.persistentWindowStore(stores.messages(), MessageMemory.retention(config), POINT, false),
            Serdes.String(), topics.storeValues(stores.messages(), MessageMemo.class)).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(stores.connectors()), Serdes.String(), topics.storeValues(stores.connectors(), ConnectorQueueSnapshot.class)).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(stores.connectorAges()), Serdes.Bytes(), Serdes.ByteArray()).withCachingEnabled());
    }
}
