package io.mailflow.emit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a whole topic once: every partition from the beginning to its end offset at the time of
 * the call, read committed (so an open or aborted transaction is never read), decoded with the
 * topic's serdes. Records without a value (the traces topic's progress markers, see
 * {@link io.mailflow.ingest.KafkaTraceSink}) are left out. Used to write a replay's output files
 * and by the integration tests.
 */
public final class TopicReader {
    private TopicReader() {
    }

    /**
     * @param kafkaProperties client settings (bootstrap servers, security); any group id is ignored
     * @throws IllegalStateException when the end offsets are not reached within {@code timeout}
     */
    public static <K, V> List<ConsumerRecord<K, V>> readToEnd(final Map<String, Object> kafkaProperties,
                                                              final Topic<K, V> topic, final Duration timeout) {
        final Map<String, Object> props = new HashMap<>(kafkaProperties);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        // the topic is complete: a fetch that finds nothing new (only a transaction marker, say)
        // need not wait the default half second for more
        props.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        final List<ConsumerRecord<K, V>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // read committed: the end offsets are the last stable offsets, which positions do reach
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Could not read " + topic.name() + " to its end offsets " + end
                        + " within " + timeout);
                }
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    records.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(), r.timestampType(),
                        r.serializedKeySize(), r.serializedValueSize(),
                        topic.keySerde().deserializer().deserialize(r.topic(), r.key()),
                        topic.valueSerde().deserializer().deserialize(r.topic(), r.value()),
                        r.headers(), r.leaderEpoch()));
                }
            }
        }
        return records;
    }
}
