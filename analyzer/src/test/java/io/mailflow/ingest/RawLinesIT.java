package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mailflow.app.Analyzer;
import io.mailflow.app.EmbeddedKafka;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.serde.MockSchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw lines on a real broker with exactly-once: a Postfix maillog shipped to mailflow.raw-lines
 * while the application fails over mid-file to an instance with an empty state directory (its
 * stores restored from their changelogs) gives, read committed, exactly replay's records.
 */
class RawLinesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant SHIPPED = Instant.parse("2024-06-01T00:00:00Z");

    @TempDir
    Path tmp;

    @Test
    @DisplayName("a maillog shipped across a failover to a fresh instance: the records replay makes, once each")
    void failoverMidFile() throws Exception {
        final Path log = Fixtures.resource("postfix_interleaved.log");
        final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        final String scope = "raw-lines-it-" + UUID.randomUUID();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            final MailflowConfig base = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", kafka.bootstrapServers())
                .override("schema.registry.url", "mock://" + scope)
                .override("application.id", "raw-lines-it")
                .override("mailflow.topic.partitions", "2")
                .override("mailflow.topic.replication-factor", "1")
                .override("mailflow.topic.retention", "infinite")
                .build();
            final Topics topics = new Topics(base);
            try (Admin admin = Admin.create(Map.copyOf(base.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(base), false);
                final int half = lines.size() / 2;
                try (Analyzer first = started(base.with("state.dir", tmp.resolve("instance-1").toString()))) {
                    ship(base, topics, lines.subList(0, half));
                    awaitConsumed(admin, base, topics);
                }
                // the second instance starts from nothing local: its stores come from the changelogs
                try (Analyzer second = started(base.with("state.dir", tmp.resolve("instance-2").toString()))) {
                    ship(base, topics, lines.subList(half, lines.size()));
                    awaitConsumed(admin, base, topics);
                    assertEquals(KafkaStreams.State.RUNNING, second.state());
                }
            }
            final Fixtures.Replayed replayed = Fixtures.replay(Fixtures.options(), log);
            final List<String> expected = replayed.sink().records.stream()
                .map(k -> k.key() + " " + normalised(roundTrip(topics, k.trace()))).sorted().toList();
            final List<String> actual = readCommitted(base, topics, expected.size()).stream()
                .map(r -> r.key() + " " + normalised(r.value())).sorted().toList();
            assertTrue(expected.size() > 5);
            assertEquals(expected, actual, "replay's records, each once, across the failover");
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }

    private static Analyzer started(final MailflowConfig config) throws InterruptedException {
        final Analyzer analyzer = new Analyzer(config);
        analyzer.start();
        assertTrue(analyzer.awaitRunning(Duration.ofSeconds(60)), "the analyzer runs");
        return analyzer;
    }

    /** As Vector ships them: keyed by host, a JSON envelope per line. */
    private static void ship(final MailflowConfig config, final Topics topics, final List<String> lines) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.copyOf(config.kafkaProperties()),
                new StringSerializer(), new StringSerializer())) {
            for (final String line : lines) {
                final String host = line.length() > 16 ? line.substring(16).split(" ")[0] : "unknown";
                final String value = JSON.createObjectNode().put("message", line).put("host", host)
                    .put("file", "/var/log/maillog").toString();
                producer.send(new ProducerRecord<>(topics.rawLines.name(), null, SHIPPED.toEpochMilli(), host, value));
            }
            producer.flush();
        }
    }

    /** Waits until the application has committed every raw-lines offset. */
    private static void awaitConsumed(final Admin admin, final MailflowConfig config, final Topics topics) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            final Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(config.get("application.id"))
                .partitionsToOffsetAndMetadata().get();
            final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 2; p++) {
                latest.put(new TopicPartition(topics.rawLines.name(), p), OffsetSpec.latest());
            }
            final boolean done = admin.listOffsets(latest).all().get().entrySet().stream().allMatch(e -> {
                final OffsetAndMetadata c = committed.get(e.getKey());
                return e.getValue().offset() == 0 || (c != null && c.offset() >= e.getValue().offset());
            });
            if (done) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the raw lines were not all consumed within 90 s");
    }

    private static List<ConsumerRecord<String, MessageTrace>> readCommitted(final MailflowConfig config, final Topics topics,
                                                                          final int atLeast) {
        final Map<String, Object> props = new HashMap<>(config.kafkaProperties());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "raw-lines-it-reader");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final List<ConsumerRecord<String, MessageTrace>> out = new ArrayList<>();
        try (KafkaConsumer<String, MessageTrace> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                topics.traces.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.traces.name()));
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < deadline && System.nanoTime() < quietUntil) {
                final int before = out.size();
                consumer.poll(Duration.ofMillis(500)).forEach(r -> {
                    if (r.value() != null) {
                        out.add(r);
                    }
                });
                if (out.size() >= atLeast && out.size() == before) {
                    quietUntil = Math.min(quietUntil, System.nanoTime() + Duration.ofSeconds(3).toNanos());
                }
            }
        }
        return out;
    }

    private static MessageTrace roundTrip(final Topics topics, final MessageTrace trace) {
        return topics.traces.valueSerde().deserializer().deserialize(topics.traces.name(),
            topics.traces.valueSerde().serializer().serialize(topics.traces.name(), trace));
    }

    private static String normalised(final MessageTrace t) {
        final MessageTrace copy = MessageTrace.newBuilder(t).build();
        copy.setProvenance(new Provenance(t.getProvenance().getFormat(), null, null));
        return copy.toString();
    }
}
