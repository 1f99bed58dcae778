package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A record that is not Avro must land in the dead-letter topic and the analyzer must keep going. */
class PoisonRecordIT {

    @TempDir
    Path out;

    @Test
    void poisonRecordIsDeadLetteredWithItsSourceAndTheAppKeepsProcessing() throws Exception {
        final MailflowConfig base = MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://poison-it")
            .override("mailflow.topic.partitions", "2")
            .override("application.id", "poison-it")
            .build();
        try (EmbeddedRuntime runtime = EmbeddedRuntime.start(base)) {
            final String traces = runtime.topics().traces.name();
            final MessageTrace valid = MessageTrace.newBuilder()
                .setEventTime(Instant.parse("2026-03-02T10:00:00Z"))
                .setEventType(EventType.RECEIVE)
                .setMessageId("<m1@contoso.com>")
                .setRecipient("a@fabrikam.com")
                .setProvenance(new Provenance("jsonl", "test", 1L))
                .build();
            final byte[] validBytes = runtime.topics().traces.valueSerde().serializer().serialize(traces, valid);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", runtime.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(traces, 0, "k1".getBytes(StandardCharsets.UTF_8),
                    "this is not avro".getBytes(StandardCharsets.UTF_8))).get();
                producer.send(new ProducerRecord<>(traces, 0, "k2".getBytes(StandardCharsets.UTF_8), validBytes)).get();
            }
            runtime.awaitComplete(Duration.ofSeconds(2), Duration.ofMinutes(3));

            final List<ConsumerRecord<String, DeadLetter>> dead = runtime.read(runtime.topics().deadLetters);
            assertEquals(1, dead.size(), "exactly one dead letter");
            final DeadLetter letter = dead.get(0).value();
            assertEquals(traces + "/0/0", letter.getSource());
            assertEquals("deserialize", letter.getStage());
            assertEquals("this is not avro", letter.getRaw());
            assertTrue(letter.getReason().contains("Confluent wire format"), letter.getReason());
            assertEquals(KafkaStreams.State.RUNNING, runtime.analyzerState(), "the analyzer keeps running");

            final Map<String, Path> files = runtime.writeTopics(out, List.of(runtime.topics().deadLetters));
            final String json = Files.readString(files.get(runtime.topics().deadLetters.name()));
            assertTrue(json.startsWith("{\"source\":\"" + traces + "/0/0\""), json);
        }
    }
}
