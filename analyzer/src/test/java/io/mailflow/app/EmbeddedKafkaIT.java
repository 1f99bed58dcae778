package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaIT {

    @Test
    void transactionalWritesAreVisibleToReadCommittedConsumersOnlyAfterCommit() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("t", 2, (short) 1))).all().get();

            final Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-1");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("t", "k", "aborted"));
                producer.abortTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("t", "k", "committed"));
                producer.commitTransaction();
            }

            final Properties c = new Properties();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            c.put(ConsumerConfig.GROUP_ID_CONFIG, "g");
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("t"));
                final List<String> seen = new java.util.ArrayList<>();
                final long deadline = System.currentTimeMillis() + 20_000;
                while (seen.isEmpty() && System.currentTimeMillis() < deadline) {
                    final ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                    records.forEach(r -> seen.add(r.value()));
                }
                assertEquals(List.of("committed"), seen);
            }
        }
    }

    @Test
    void aReplicatedClusterWithAQuorumOfThreeKeepsWritingWithABrokerStoppedAndTheBrokerCatchesUp() throws Exception {
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start(3, 3, null, Map.of());
             Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            // no replication factor given: the controllers' default.replication.factor (3)
            admin.createTopics(List.of(new NewTopic("r", java.util.Optional.of(2), java.util.Optional.empty()))).all().get();
            final var resource = new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "r");
            assertEquals("2", ClusterInstances.onceTopicKnown(() -> admin.describeConfigs(List.of(resource)).all().get().get(resource))
                .get("min.insync.replicas").value());
            final Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("r", "k", "three")).get();
                cluster.stopBroker(0);
                producer.send(new ProducerRecord<>("r", "k", "two")).get(); // min.insync.replicas 2: still accepted
                cluster.startBroker(0);
                cluster.awaitFullyReplicated(Duration.ofSeconds(60));
                producer.send(new ProducerRecord<>("r", "k", "three again")).get();
            }
            final List<Integer> replicas = admin.describeTopics(List.of("r")).allTopicNames().get().get("r").partitions().stream()
                .map(info -> info.replicas().size()).toList();
            assertEquals(List.of(3, 3), replicas);
            final List<String> seen = new java.util.ArrayList<>();
            ClusterInstances.readTopic(cluster.brokerAddress(0), "r", 2).values()
                .forEach(records -> records.forEach(r -> seen.add(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8))));
            assertEquals(List.of("three", "two", "three again"), seen);
        }
    }
}
