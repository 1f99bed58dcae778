package io.mailflow.detect;

import static io.mailflow.detect.TestTraces.deferral;
import static io.mailflow.detect.TestTraces.delivery;
import static io.mailflow.detect.TestTraces.minutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.app.EmbeddedKafka;
import io.mailflow.config.MailflowConfig;
import io.mailflow.app.Analyzer;
import io.mailflow.app.StreamsSettings;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.MessageKeys;
import io.mailflow.serde.MockSchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/**
 * The whole topology (queue tracking and connector health) on a real single-node broker with
 * three partitions: what the test driver's single partition cannot show. Traces of one outage
 * spread over all partitions by message key; the alerts must still come once each, the stats
 * windows must add up across partitions, and the episode detector must find the connector's
 * queue in its own task (failures and queue snapshots co-partitioned).
 */
class ConnectorHealthIT {
    private static final String CONTOSO = "Outbound to Contoso";
    private static final String HQ = "To HQ";
    private static final String SCOPE = "detect-it";

    @Test
    void anOutageSpreadOverThreePartitionsFiresOnceResolvesOnceAndItsStatsAddUp() throws Exception {
        final Path stateDir = Files.createTempDirectory("detect-it-state-");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            final MailflowConfig config = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", kafka.bootstrapServers())
                .override("schema.registry.url", "mock://" + SCOPE)
                .override("application.id", "detect-it-" + System.nanoTime())
                .override("state.dir", stateDir.toString())
                .override("commit.interval.ms", "100")
                .override("mailflow.topic.partitions", "3")
                .override("mailflow.topic.replication-factor", "1")
                // start-up wait for every partition's first heartbeat, and the idle bound (default 60 s)
                .override("mailflow.detect.partition-idle", "20s")
                .build();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
            }
            final Topics topics = new Topics(config);
            final Properties props = StreamsSettings.streamsProperties(config);
            try (KafkaStreams streams = new KafkaStreams(Analyzer.topologyFor(config), props)) {
                streams.start();
                final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (streams.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(KafkaStreams.State.RUNNING, streams.state());

                final Traffic traffic = produce(config, topics);
                final Outputs out = consumeUntilResolved(config, topics, Duration.ofSeconds(180));

                // alerts: one episode, one FIRING, updates every 5 min, one RESOLVED, one alertId
                final List<ConnectorAlert> contoso = out.alerts.stream()
                    .filter(a -> a.getType() == AlertType.CONNECTOR_FAILURE && a.getConnectorId().equals(CONTOSO)).toList();
                final List<AlertState> states = contoso.stream().map(ConnectorAlert::getState).toList();
                assertEquals(1, states.stream().filter(s -> s == AlertState.FIRING).count(), () -> "states: " + states);
                assertEquals(1, states.stream().filter(s -> s == AlertState.RESOLVED).count(), () -> "states: " + states);
                // failures of three partitions reach the detector interleaved, not in event-time order,
                // so the FIRING may be seen a little after 10:15 and the 5-minute cadence shift with it
                final long updates = states.stream().filter(s -> s == AlertState.UPDATED).count();
                assertTrue(updates >= 4 && updates <= 5, () -> "an update every 5 min until 10:40: " + states);
                for (int i = 1; i < contoso.size() - 1; i++) {
                    final Duration gap = Duration.between(contoso.get(i - 1).getEventTime(), contoso.get(i).getEventTime());
                    assertTrue(gap.compareTo(Duration.ofMinutes(5)) >= 0, () -> "at most every 5 min: " + contoso);
                }
                assertEquals(1, contoso.stream().map(ConnectorAlert::getAlertId).distinct().count());
                final ConnectorAlert resolved = contoso.get(contoso.size() - 1);
                assertEquals(AlertState.RESOLVED, resolved.getState());
                assertEquals(minutes(70.1), resolved.getEventTime(), "last failure 10:40:06 + 30 min quiet");
                assertEquals(traffic.contosoFailures, resolved.getFailureCount(), "every failure of every partition counted once");
                assertTrue(contoso.stream().anyMatch(a -> a.getQueuedRecipients() > 0),
                    () -> "the detector finds Contoso's queue in its own task: " + contoso.stream().map(ConnectorAlert::getQueuedRecipients).toList());
                assertTrue(out.alerts.stream().noneMatch(a -> a.getConnectorId().equals(HQ)), "the healthy connector never alerts");

                // stats: every window of a (connector, code) once, and the counts of all partitions add up
                final Map<String, Integer> seen = new HashMap<>();
                long contosoFailures = 0;
                long hqDeliveries = 0;
                for (final ConnectorStats s : out.stats) {
                    seen.merge(s.getConnectorId() + "|" + s.getStatusCode() + "|" + s.getWindowStart(), 1, Integer::sum);
                    if (s.getConnectorId().equals(CONTOSO) && "4.4.316".equals(s.getStatusCode())) {
                        contosoFailures += s.getFailures();
                    }
                    if (s.getConnectorId().equals(HQ) && s.getWindowEnd().isBefore(minutes(90.1))) {
                        hqDeliveries += s.getDeliveries();
                        assertEquals(15, s.getDistinctMessages(), "3 messages a minute, 5 minutes, whatever partition they live in");
                    }
                }
                assertTrue(seen.values().stream().allMatch(n -> n == 1), () -> "windows emitted more than once: " + seen);
                assertEquals(traffic.contosoFailures, contosoFailures);
                assertEquals(3 * 90, hqDeliveries, "HQ's windows up to 11:30");
                streams.close(Duration.ofSeconds(30));
            }
        } finally {
            MockSchemaRegistry.dropScope(SCOPE);
        }
    }

    private record Traffic(long contosoFailures) {
    }

    /**
     * 10:00-10:40 Contoso refuses: a new message every minute, each retried every 5 minutes until
     * 10:40; at 10:41 everything queued gets through. HQ delivers 3 messages a minute until 11:50.
     */
    private static Traffic produce(final MailflowConfig config, final Topics topics) {
        final List<MessageTrace> traces = new ArrayList<>();
        long failures = 0;
        for (int m = 0; m <= 40; m++) {
            for (int retry = m; retry <= 40; retry += 5) {
                traces.add(deferral(CONTOSO, "4.4.316", minutes(retry + 0.1), "<c" + m + "@fabrikam.example>"));
                failures++;
            }
            traces.add(delivery(CONTOSO, minutes(41), "<c" + m + "@fabrikam.example>"));
        }
        for (int m = 0; m <= 110; m++) {
            for (int i = 0; i < 3; i++) {
                traces.add(delivery(HQ, minutes(m + i * 0.2), "<h" + m + "-" + i + "@fabrikam.example>"));
            }
        }
        traces.sort(Comparator.comparing(MessageTrace::getEventTime));
        final Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.get("bootstrap.servers"));
        try (KafkaProducer<String, MessageTrace> producer = new KafkaProducer<>(p, new StringSerializer(),
            topics.traces.valueSerde().serializer())) {
            for (final MessageTrace t : traces) {
                producer.send(new ProducerRecord<>(topics.traces.name(), null, t.getEventTime().toEpochMilli(), MessageKeys.of(t), t));
            }
        }
        return new Traffic(failures);
    }

    private record Outputs(List<ConnectorAlert> alerts, List<ConnectorStats> stats) {
    }

    private static Outputs consumeUntilResolved(final MailflowConfig config, final Topics topics, final Duration timeout) {
        final Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.get("bootstrap.servers"));
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "detect-it-reader-" + System.nanoTime());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final List<ConnectorAlert> alerts = new ArrayList<>();
        final List<ConnectorStats> stats = new ArrayList<>();
        final Instant lastHqWindow = minutes(85);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.alerts.name(), topics.connectorStats.name()));
            final long deadline = System.nanoTime() + timeout.toNanos();
            boolean done = false;
            while (!done && System.nanoTime() < deadline) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(topics.alerts.name())) {
                        alerts.add(topics.alerts.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                    } else {
                        stats.add(topics.connectorStats.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                    }
                }
                done = alerts.stream().anyMatch(a -> a.getState() == AlertState.RESOLVED)
                    && stats.stream().anyMatch(s -> s.getConnectorId().equals(HQ) && !s.getWindowStart().isBefore(lastHqWindow));
            }
            // a little longer: anything emitted twice would show now
            final long settle = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < settle) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(topics.alerts.name())) {
                        alerts.add(topics.alerts.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                    } else {
                        stats.add(topics.connectorStats.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                    }
                }
            }
        }
        alerts.sort(Comparator.comparing(ConnectorAlert::getEventTime));
        return new Outputs(alerts, stats);
    }
}
