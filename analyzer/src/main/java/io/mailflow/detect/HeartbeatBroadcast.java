package io.mailflow.detect;

import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Sends heartbeats to every partition of a repartition topic (KIP-837 multicast) and every other
 * record by the default key hash. Connector-keyed tasks only see their own connectors' records;
 * the broadcast heartbeat carries the input's stream time to all of them, so windows close and
 * quiet episodes resolve even on partitions whose connectors went silent.
 */
final class HeartbeatBroadcast<V> implements StreamPartitioner<String, V> {
    private final Predicate<V> isHeartbeat;

    HeartbeatBroadcast(final Predicate<V> isHeartbeat) {
        this.isHeartbeat = isHeartbeat;
    }

    @Override
    public Optional<Set<Integer>> partitions(final String topic, final String key, final V value, final int numPartitions) {
        if (value != null && isHeartbeat.test(value)) {
            return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
        }
        return Optional.empty(); // default partitioning by key
    }
}
