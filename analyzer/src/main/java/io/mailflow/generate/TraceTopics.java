package io.mailflow.generate;

import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.Topics;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;

/** Creating the traces topic and a producer for it, shared by `generate` and `bench`. */
public final class TraceTopics {
    private TraceTopics() {
    }

    /** Creates {@code topic} unless it exists; replication factor -1 lets the broker choose. */
    public static void ensure(final String bootstrapServers, final String topic, final int partitions, final short replication) {
        ensure(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), topic, partitions, replication);
    }

    /** As {@link #ensure(String, String, int, short)} with every Kafka client setting ({@code MailflowConfig#kafkaProperties}: security too). */
    public static void ensure(final Map<String, Object> kafka, final String topic, final int partitions, final short replication) {
        try (Admin admin = Admin.create(kafka)) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.of(replication)))).all().get();
        } catch (final ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("Cannot create topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic " + topic, e);
        }
    }

    /** A producer of trace records with the configured Avro serde: batched, idempotent, acks=all. */
    public static Producer<String, MessageTrace> producer(final MailflowConfig config) {
        return producer(config, 20);
    }

    /** As {@link #producer(MailflowConfig)}, with the batching delay given (small for live traffic). */
    public static Producer<String, MessageTrace> producer(final MailflowConfig config, final int lingerMs) {
        // every Kafka client setting (security.protocol, sasl.*, ssl.*, config.providers, ...), then what this producer needs
        final Map<String, Object> props = new java.util.HashMap<>(config.kafkaProperties());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.require("bootstrap.servers"));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "mailflow-generate");
        final Topics topics = new Topics(config);
        return new KafkaProducer<>(props, new StringSerializer(), topics.traces.valueSerde().serializer());
    }
}
