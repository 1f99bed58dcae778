package io.mailflow.queue;

import io.mailflow.config.QueueConfig;
import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.avro.Provenance;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.app.MailflowTopology;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.MessageKeys;
import io.mailflow.serde.MockSchemaRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Queue tracking alone in a TopologyTestDriver, with a mock:// registry and RocksDB stores in a
 * temporary state directory. Times are offsets from {@link #T0}, which is also the initial wall clock.
 */
final class QueueTrackingFixture implements AutoCloseable {
    static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");
    static final String SNAPSHOTS = "test.queue-snapshots";

    final MailflowConfig config;
    final Topics topics;
    final QueueConfig queueConfig;
    final TopologyTestDriver driver;
    final TestInputTopic<String, MessageTrace> traces;
    final TestOutputTopic<String, NonDeliveryReport> ndrs;
    final TestOutputTopic<String, DelayNotice> delays;
    final TestOutputTopic<String, ConnectorSignal> snapshots;
    private final String scope;
    private final Path stateDir;

    QueueTrackingFixture(final String... overrides) {
        this.scope = "queue-test-" + UUID.randomUUID();
        final MailflowConfig.Builder b = MailflowConfig.builder().defaults().override("schema.registry.url", "mock://" + scope)
            // the specifications state deadlines to the millisecond; the grace has specifications of its own
            .override(QueueConfig.GRACE, "0");
        for (int i = 0; i + 1 < overrides.length; i += 2) {
            b.override(overrides[i], overrides[i + 1]);
        }
        this.config = b.build();
        this.topics = new Topics(config);
        this.queueConfig = QueueConfig.from(config);
        final StreamsBuilder builder = new StreamsBuilder();
        // the topology's own ingest and track stages; the tracker's snapshots go to a test topic
        MailflowTopology.track(MailflowTopology.ingest(builder, topics), topics, queueConfig, "test-snapshot-sink")
            .to(SNAPSHOTS, Produced.with(Serdes.String(), topics.avro(ConnectorSignal.class)).withName("test-snapshot-sink"));
        try {
            this.stateDir = Files.createTempDirectory("queue-test-state");
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        final Properties props = new Properties();
        props.putAll(config.kafkaProperties());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "queue-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        this.driver = new TopologyTestDriver(builder.build(props), props, T0);
        this.traces = driver.createInputTopic(topics.traces.name(), Serdes.String().serializer(), topics.traces.valueSerde().serializer());
        this.ndrs = driver.createOutputTopic(topics.ndr.name(), Serdes.String().deserializer(), topics.ndr.valueSerde().deserializer());
        this.delays = driver.createOutputTopic(topics.delays.name(), Serdes.String().deserializer(), topics.delays.valueSerde().deserializer());
        this.snapshots = driver.createOutputTopic(SNAPSHOTS, Serdes.String().deserializer(),
            topics.avro(ConnectorSignal.class).deserializer());
    }

    static Instant at(final Duration offset) {
        return T0.plus(offset);
    }

    Path stateDirectory() {
        return stateDir;
    }

    /** Feeds traces keyed as ingest keys them, each with its event time as record timestamp. */
    void pipe(final MessageTrace... records) {
        for (final MessageTrace t : records) {
            traces.pipeInput(new TestRecord<>(MessageKeys.of(t), t, t.getEventTime()));
        }
    }

    /** Moves stream time with a record of an unrelated message. */
    void advanceStreamTimeTo(final Duration offset) {
        pipe(trace(EventType.RECEIVE, "<clock-" + offset + "@test>", "someone@example.org", offset).build());
    }

    List<NonDeliveryReport> readNdrs() {
        return ndrs.readValuesToList();
    }

    List<DelayNotice> readDelays() {
        return delays.readValuesToList();
    }

    /** The latest snapshot per connector among those emitted since the last read. */
    Map<String, ConnectorQueueSnapshot> latestSnapshots() {
        final Map<String, ConnectorQueueSnapshot> latest = new LinkedHashMap<>();
        snapshots.readKeyValuesToList().forEach(kv -> latest.put(kv.key, kv.value.getQueueSnapshot()));
        return latest;
    }

    /** A trace of the message {@code messageId} on connector "Outbound to Contoso", server EXHUB01. */
    static MessageTrace.Builder trace(final EventType type, final String messageId, final String recipient, final Duration offset) {
        return MessageTrace.newBuilder()
            .setEventTime(at(offset))
            .setEventType(type)
            .setMessageId(messageId)
            .setNetworkMessageId("nmid-" + messageId.replaceAll("[<>@]", ""))
            .setInternalMessageId("42")
            .setSender("alice@fabrikam.example")
            .setReturnPath("alice@fabrikam.example")
            .setRecipient(recipient)
            .setConnectorId("Outbound to Contoso")
            .setSourceServer("EXHUB01")
            .setSubject("Quarterly report")
            .setProvenance(Provenance.newBuilder().setFormat("generator").setFile(null).setLine(null).build());
    }

    static MessageTrace receive(final String messageId, final String recipient, final Duration offset) {
        return trace(EventType.RECEIVE, messageId, recipient, offset).setConnectorId("Default Frontend").build();
    }

    static MessageTrace defer(final String messageId, final String recipient, final Duration offset) {
        return trace(EventType.DEFER, messageId, recipient, offset)
            .setSmtpReply("451").setStatusCode("4.4.316")
            .setResponseText("451 4.4.316 Connection refused [Message=Socket error code 10061]")
            .setRemoteHost("mail.contoso.example").setRemoteIp("203.0.113.25")
            .build();
    }

    static MessageTrace delivered(final String messageId, final String recipient, final Duration offset) {
        return trace(EventType.SEND, messageId, recipient, offset)
            .setSmtpReply("250").setStatusCode("2.6.0").setResponseText("250 2.6.0 Queued mail for delivery")
            .setRemoteHost("mail.contoso.example").build();
    }

    static MessageTrace failed(final String messageId, final String recipient, final Duration offset) {
        return trace(EventType.FAIL, messageId, recipient, offset)
            .setSmtpReply("550").setStatusCode("5.1.1")
            .setResponseText("550 5.1.1 RESOLVER.ADR.RecipNotFound; not found")
            .setRemoteHost("mail.contoso.example").build();
    }

    @Override
    public void close() {
        try {
            driver.close();
        } finally {
            MockSchemaRegistry.dropScope(scope);
            deleteQuietly(stateDir);
        }
    }

    static void deleteQuietly(final Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException e) {
            // a leftover temp dir is harmless
        }
    }
}
