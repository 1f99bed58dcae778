package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.config.MailflowConfig;
import io.mailflow.detect.TestTraces;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.MessageKeys;
import io.mailflow.serde.MockSchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One specification of the whole topology, as the application builds it
 * ({@link MailflowTopology#build}), through the TopologyTestDriver: a connector outage with its
 * queue, a bounce, a recipient that never gets through, and what each output topic then holds.
 * The stages have specifications of their own (queue, detect); this one shows they fit.
 */
@DisplayName("The whole topology: a connector outage end to end")
class MailflowTopologyTest {
    private static final String CONTOSO = "Outbound to Contoso";
    private static final String FABRIKAM = "Outbound to Fabrikam";

    @Test
    @DisplayName("a 40-minute 4.4.316 outage: alert fires and resolves, stats count it, a bounce and a stuck recipient get NDRs and a delay notice")
    void outageEndToEnd() throws Exception {
        final String scope = "topology-spec-" + UUID.randomUUID();
        final MailflowConfig config = MailflowConfig.builder().defaults().override("schema.registry.url", "mock://" + scope).build();
        final Topics topics = new Topics(config);
        final Path stateDir = Files.createTempDirectory("topology-spec");
        try (TopologyTestDriver driver = new TopologyTestDriver(MailflowTopology.build(config), driverProperties(config, stateDir), TestTraces.T0)) {
            final TestInputTopic<String, MessageTrace> traces = driver.createInputTopic(topics.traces.name(),
                Serdes.String().serializer(), topics.traces.valueSerde().serializer());
            final List<MessageTrace> input = new ArrayList<>();
            // the outage: every 2 minutes a new message to Contoso is refused (20 messages, 0-38 min)
            for (int i = 0; i < 20; i++) {
                final Instant at = TestTraces.minutes(2 * i);
                input.add(receive("<m" + i + "@x>", at));
                input.add(TestTraces.deferral(CONTOSO, "4.4.316", at, "<m" + i + "@x>"));
            }
            // a bounce on another connector, at once an NDR
            input.add(TestTraces.permanentFailure(FABRIKAM, TestTraces.minutes(5), "<bounce@x>"));
            // the smart host is back at 60 min: all but one of the queued messages go out
            for (int i = 1; i < 20; i++) {
                input.add(TestTraces.delivery(CONTOSO, TestTraces.minutes(60 + i * 0.1), "<m" + i + "@x>"));
            }
            // traffic on another connector moves event time on past 24 hours
            for (int h = 1; h <= 26; h++) {
                input.add(TestTraces.delivery(FABRIKAM, TestTraces.T0.plus(Duration.ofHours(h)), "<clock-" + h + "@x>"));
            }
            input.sort(java.util.Comparator.comparing(MessageTrace::getEventTime));
            for (final MessageTrace t : input) {
                traces.pipeInput(new TestRecord<>(MessageKeys.of(t), t, t.getEventTime()));
            }

            final List<ConnectorAlert> alerts = driver.createOutputTopic(topics.alerts.name(), Serdes.String().deserializer(),
                topics.alerts.valueSerde().deserializer()).readValuesToList();
            final List<ConnectorAlert> contoso = alerts.stream()
                .filter(a -> a.getConnectorId().equals(CONTOSO) && a.getType() == AlertType.CONNECTOR_FAILURE).toList();
            assertEquals(AlertState.FIRING, contoso.get(0).getState(), "the outage fires: " + alerts);
            assertEquals("4.4.316", contoso.get(0).getStatusCode());
            assertEquals(AlertState.RESOLVED, contoso.get(contoso.size() - 1).getState(), "and resolves after the quiet period");
            assertEquals(20, contoso.get(contoso.size() - 1).getFailureCount());
            assertTrue(alerts.stream().noneMatch(a -> a.getConnectorId().equals(FABRIKAM)), "a single bounce is no connector problem");

            final List<NonDeliveryReport> ndrs = driver.createOutputTopic(topics.ndr.name(), Serdes.String().deserializer(),
                topics.ndr.valueSerde().deserializer()).readValuesToList();
            assertEquals(List.of("<bounce@x>", "<m0@x>"), ndrs.stream().map(NonDeliveryReport::getMessageId).toList(),
                "the bounce at once, the stuck message after 24 hours");
            assertEquals("5.1.10", ndrs.get(0).getStatus());
            assertEquals(TestTraces.T0.plus(Duration.ofHours(24)), ndrs.get(1).getExpiryTime(), "24 h after its arrival");

            final List<DelayNotice> delays = driver.createOutputTopic(topics.delays.name(), Serdes.String().deserializer(),
                topics.delays.valueSerde().deserializer()).readValuesToList();
            assertEquals(List.of("<m0@x>"), delays.stream().map(DelayNotice::getMessageId).toList());
            assertEquals(TestTraces.T0.plus(Duration.ofHours(4)), delays.get(0).getEventTime());

            final List<ConnectorStats> stats = driver.createOutputTopic(topics.connectorStats.name(), Serdes.String().deserializer(),
                topics.connectorStats.valueSerde().deserializer()).readValuesToList();
            assertEquals(20, stats.stream().filter(s -> s.getConnectorId().equals(CONTOSO) && "4.4.316".equals(s.getStatusCode()))
                .mapToLong(ConnectorStats::getFailures).sum(), "every refused attempt is counted once");
            assertEquals(19, stats.stream().filter(s -> s.getConnectorId().equals(CONTOSO))
                .mapToLong(ConnectorStats::getDeliveries).sum());
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }

    /** The properties a TopologyTestDriver of the whole topology runs with: {@code config}'s, state in {@code stateDir}. */
    static Properties driverProperties(final MailflowConfig config, final Path stateDir) {
        final Properties props = new Properties();
        props.putAll(config.kafkaProperties());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return props;
    }

    static MessageTrace receive(final String messageId, final Instant at) {
        return TestTraces.trace(EventType.RECEIVE, at).setMessageId(messageId).setRecipient("user@contoso.com")
            .setSender("alice@fabrikam.example").build();
    }
}
