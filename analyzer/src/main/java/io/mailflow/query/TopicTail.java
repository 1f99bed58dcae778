package io.mailflow.query;

import io.mailflow.emit.Topic;
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
 * The latest records of an output topic: the last {@code count / partitions} offsets of each
 * partition (transaction markers take offsets too, so a few records fewer), read committed,
 * without a consumer group. For views of what mailflow published recently that no state store
 * keeps (notices sent, alerts resolved).
 */
final class TopicTail {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** A page polls every few seconds: a tail read this recently is answered again rather than read anew. */
    private static final long REUSE_NANOS = Duration.ofSeconds(5).toNanos();

    private final Map<String, Object> kafkaProperties;
    private final Map<String, Read<?>> recent = new java.util.concurrent.ConcurrentHashMap<>();

    TopicTail(final Map<String, Object> kafkaProperties) {
        this.kafkaProperties = kafkaProperties;
    }

    private record Read<V>(long atNanos, Tail<V> tail) {
    }

    /** Records read, and how many could not be decoded (left out, and counted so the answer says so). */
    record Tail<V>(List<ConsumerRecord<String, V>> records, int unreadable) {
    }

    /** About the last {@code count} records of {@code topic}, values decoded; a read of the last 5 s is reused. */
    @SuppressWarnings("unchecked")
    <V> Tail<V> last(final Topic<String, V> topic, final int count) {
        final String key = topic.name() + '|' + count;
        final Read<?> earlier = recent.get(key);
        if (earlier != null && System.nanoTime() - earlier.atNanos() < REUSE_NANOS) {
            return (Tail<V>) earlier.tail();
        }
        final Tail<V> tail = read(topic, count);
        if (recent.size() >= 8) {
            recent.clear(); // a few (topic, count) pairs are polled; more is someone trying limits
        }
        recent.put(key, new Read<>(System.nanoTime(), tail));
        return tail;
    }

    private <V> Tail<V> read(final Topic<String, V> topic, final int count) {
        final Map<String, Object> props = new HashMap<>(kafkaProperties);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        final List<ConsumerRecord<String, V>> out = new ArrayList<>();
        int unreadable = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), TIMEOUT).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            if (partitions.isEmpty()) {
                return new Tail<>(out, 0);
            }
            consumer.assign(partitions);
            final Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, TIMEOUT);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
            final long perPartition = Math.max(1, (count + partitions.size() - 1) / partitions.size());
            for (final TopicPartition tp : partitions) {
                consumer.seek(tp, Math.max(begin.get(tp), end.get(tp) - perPartition));
            }
            final long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null || r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    try {
                        out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(), r.timestampType(),
                            r.serializedKeySize(), r.serializedValueSize(),
                            r.key() == null ? null : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8),
                            topic.valueSerde().deserializer().deserialize(r.topic(), r.value()), r.headers(), r.leaderEpoch()));
                    } catch (final RuntimeException e) {
                        unreadable++;
                    }
                }
            }
        }
        return new Tail<>(out, unreadable);
    }
}
