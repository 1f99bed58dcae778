package io.mailflow.detect;

import io.mailflow.app.MailflowTopology;
import io.mailflow.avro.internal.ConnectorSignal;
import org.apache.kafka.streams.kstream.Named;
import io.mailflow.config.DetectionConfig;
import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.MessageKeys;
import io.mailflow.serde.SpecificAvroSerde;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;

/** The detection topology in a TopologyTestDriver with a mock:// registry, every internal resource explicitly named. */
final class DetectionDriver implements AutoCloseable {
    static final String SNAPSHOTS = "test.queue-snapshots";

    final Topics topics;
    final Topology topology;
    private final TopologyTestDriver driver;
    private final TestInputTopic<String, MessageTrace> traces;
    private final TestInputTopic<String, ConnectorQueueSnapshot> snapshots;
    private final TestOutputTopic<String, ConnectorAlert> alerts;
    private final TestOutputTopic<String, ConnectorStats> stats;
    private final List<ConnectorAlert> alertsSeen = new ArrayList<>();
    private final List<ConnectorStats> statsSeen = new ArrayList<>();
    private final DetectionConfig config;
    private long latestPiped = Long.MIN_VALUE;

    DetectionDriver(final DetectionConfig config, final ConnectorCatalog catalog) {
        this.config = config;
        final MailflowConfig mailflow = MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://detect-test").build();
        this.topics = new Topics(mailflow);
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "detect-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        props.putAll(topics.serdeConfig());
        final StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(props)));
        final SpecificAvroSerde<ConnectorQueueSnapshot> snapshotSerde = new SpecificAvroSerde<>(ConnectorQueueSnapshot.class);
        snapshotSerde.configure(topics.serdeConfig(), false);
        // the topology's own ingest and detect stages; queue snapshots come from a test topic
        final KStream<String, ConnectorSignal> queueSignals = builder.stream(SNAPSHOTS,
                Consumed.with(Serdes.String(), snapshotSerde).withName("snapshots-source"))
            .mapValues(snapshot -> ConnectorSignal.newBuilder().setQueueSnapshot(snapshot).build(), Named.as("test-queue-signals"));
        MailflowTopology.detect(MailflowTopology.ingest(builder, topics), queueSignals, topics, config, catalog);
        this.topology = builder.build(props);
        this.driver = new TopologyTestDriver(topology, props, TestTraces.T0);
        this.traces = driver.createInputTopic(topics.traces.name(), Serdes.String().serializer(), topics.traces.valueSerde().serializer());
        this.snapshots = driver.createInputTopic(SNAPSHOTS, Serdes.String().serializer(), snapshotSerde.serializer());
        this.alerts = driver.createOutputTopic(topics.alerts.name(), Serdes.String().deserializer(), topics.alerts.valueSerde().deserializer());
        this.stats = driver.createOutputTopic(topics.connectorStats.name(), Serdes.String().deserializer(),
            topics.connectorStats.valueSerde().deserializer());
    }

    void pipe(final MessageTrace trace) {
        traces.pipeInput(MessageKeys.of(trace), trace, trace.getEventTime());
        latestPiped = Math.max(latestPiped, trace.getEventTime().toEpochMilli());
    }

    void pipeTombstone(final String key, final java.time.Instant at) {
        traces.pipeInput(key, null, at);
    }

    void pipe(final ConnectorQueueSnapshot snapshot) {
        snapshots.pipeInput(snapshot.getConnectorId(), snapshot, snapshot.getAsOf());
    }

    /**
     * Moves the timeline past {@code at}, so everything up to {@code at} has been judged: a delivery
     * on a connector no test looks at, a grace and a heartbeat after {@code at} (the connector
     * monitor judges an item once the slowest partition's heartbeat is a grace past it).
     */
    void advanceEventTime(final Instant at) {
        final Instant past = at.plus(config.grace()).plus(config.heartbeat()).plusMillis(1);
        pipe(TestTraces.delivery("Clock - unrelated", past, "<clock-" + past.toEpochMilli() + "@fabrikam.example>"));
    }

    /** Everything piped so far has been judged. */
    void settle() {
        if (latestPiped != Long.MIN_VALUE) {
            advanceEventTime(Instant.ofEpochMilli(latestPiped));
        }
    }

    void advanceWallClock(final java.time.Duration d) {
        driver.advanceWallClockTime(d);
    }

    /** Every alert emitted so far, in order. */
    List<ConnectorAlert> alerts() {
        while (!alerts.isEmpty()) {
            alertsSeen.add(alerts.readValue());
        }
        return alertsSeen;
    }

    List<ConnectorStats> stats() {
        while (!stats.isEmpty()) {
            statsSeen.add(stats.readValue());
        }
        return statsSeen;
    }

    static ConnectorQueueSnapshot snapshot(final String connector, final int partition, final long queued, final long overAge,
                                           final Instant asOf) {
        return ConnectorQueueSnapshot.newBuilder().setConnectorId(connector).setSourcePartition(partition)
            .setQueuedRecipients(queued).setQueuedOverAge(overAge).setOldestQueuedTime(asOf.minusSeconds(7200))
            .setLastError("450 4.4.316 Connection refused [LastAttemptedServerName=mail.contoso.com]")
            .setLastStatusCode("4.4.316").setDestinations(List.of("mail.contoso.com")).setAsOf(asOf).build();
    }

    @Override
    public void close() {
        driver.close();
        io.mailflow.serde.MockSchemaRegistry.dropScope("detect-test");
    }
}
