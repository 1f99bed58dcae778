package io.mailflow.detect;

import static io.mailflow.detect.TestTraces.deferral;
import static io.mailflow.detect.TestTraces.delivery;
import static io.mailflow.detect.TestTraces.minutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.app.Analyzer;
import io.mailflow.app.EmbeddedKafka;
import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.TopicReader;
import io.mailflow.emit.Topics;
import io.mailflow.serde.MockSchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A partition that never gets a record, fed by a producer that writes no progress markers (a
 * third-party shipper): its task must report it idle (its consumer is caught up with the end
 * offset, no record for partition-idle), or the connector-keyed stages would wait for it forever.
 * This runs the real analyzer (`Analyzer`: the traces topic's partition count looked up on the
 * broker, each stream thread's consumer asked for its lag) on a real broker.
 */
class IdlePartitionIT {
    private static final String CONTOSO = "Outbound to Contoso";
    private static final String SCOPE = "idle-partition-it";

    @Test
    @DisplayName("an empty partition is reported idle by its own task (caught up, quiet) and alerts on the busy one go out")
    void anEmptyPartitionIsReportedIdleAndAlertsGoOut() throws Exception {
        final Path stateDir = Files.createTempDirectory("idle-partition-it-state-");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            final MailflowConfig config = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", kafka.bootstrapServers())
                .override("schema.registry.url", "mock://" + SCOPE)
                .override("application.id", "idle-partition-it-" + System.nanoTime())
                .override("state.dir", stateDir.toString())
                .override("commit.interval.ms", "100")
                .override("mailflow.topic.partitions", "2")
                .override("mailflow.topic.replication-factor", "1")
                .override("mailflow.queue.wall-clock-safety-net", "false")
                .override("mailflow.detect.partition-idle", "4s")
                .build();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
            }
            final Topics topics = new Topics(config);
            try (Analyzer analyzer = new Analyzer(config)) {
                analyzer.start();
                assertTrue(analyzer.awaitRunning(Duration.ofSeconds(60)), "analyzer running");
                try (KafkaProducer<String, MessageTrace> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                    new StringSerializer(), topics.traces.valueSerde().serializer())) {
                    // a 20-minute outage, then healthy traffic to 40 min: all of it on partition 0
                    for (int m = 0; m <= 20; m += 2) {
                        send(producer, topics, deferral(CONTOSO, "4.4.316", minutes(m), "<m" + m + "@fabrikam.example>"));
                    }
                    for (int m = 21; m <= 40; m++) {
                        send(producer, topics, delivery("To HQ", minutes(m), "<ok" + m + "@fabrikam.example>"));
                    }
                    producer.flush();
                }
                final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                List<ConnectorAlert> firing = List.of();
                while (firing.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                    firing = TopicReader.readToEnd(config.kafkaProperties(), topics.alerts, Duration.ofSeconds(10)).stream()
                        .map(ConsumerRecord::value).filter(a -> a.getState() == AlertState.FIRING).toList();
                }
                assertEquals(1, firing.size(), "partition 1 (never a record) was reported idle and the outage on partition 0 fired");
                assertEquals(minutes(16), firing.get(0).getEventTime(), "the failure that completed 15 minutes and 5 failures");
            }
        } finally {
            MockSchemaRegistry.dropScope(SCOPE);
        }
    }

    private static void send(final KafkaProducer<String, MessageTrace> producer, final Topics topics, final MessageTrace trace) {
        producer.send(new ProducerRecord<>(topics.traces.name(), 0, trace.getEventTime().toEpochMilli(), trace.getMessageId(), trace));
    }
}
