package io.mailflow.bench;

import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The ceiling: one plain consumer reads the whole traces topic and decodes every key and Avro
 * value, nothing else. No Streams app can be faster than this on the same machine. Like the
 * Streams runs it counts every record of the topic, progress markers included (they have no value
 * to decode).
 */
final class RawConsumeBenchmark {
    /** Where decoded values go, so the JIT cannot drop the decoding. */
    static volatile long blackhole;

    private RawConsumeBenchmark() {
    }

    static RunResult run(final MailflowConfig config, final Map<TopicPartition, Long> ends) {
        final long expected = ends.values().stream().mapToLong(Long::longValue).sum();
        final Deserializer<MessageTrace> values = new Topics(config).traces.valueSerde().deserializer();
        final StringDeserializer keys = new StringDeserializer();
        final String topic = config.get("mailflow.topic.traces");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.get("bootstrap.servers"),
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000,
            ConsumerConfig.CLIENT_ID_CONFIG, "mailflow-bench-raw"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = new ArrayList<>(ends.keySet());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final long t0 = System.nanoTime();
            long count = 0;
            long checksum = 0;
            int idlePolls = 0;
            while (count < expected && idlePolls < 600) { // a loaded broker may pause fetches for seconds
                final ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                idlePolls = batch.isEmpty() ? idlePolls + 1 : 0;
                for (final ConsumerRecord<byte[], byte[]> r : batch) {
                    count++; // every offset, as the Streams runs count them
                    if (r.value() == null) {
                        continue; // a progress marker: nothing to decode
                    }
                    final String key = keys.deserialize(topic, r.key());
                    final MessageTrace trace = values.deserialize(topic, r.value());
                    checksum += key.length() + trace.getEventTime().toEpochMilli();
                }
            }
            final double seconds = (System.nanoTime() - t0) / 1e9;
            if (count < expected) {
                throw new IllegalStateException("Raw consumer read " + count + " of " + expected + " records, then nothing for 60 s");
            }
            blackhole = checksum;
            return new RunResult(count, seconds, null);
        }
    }
}
