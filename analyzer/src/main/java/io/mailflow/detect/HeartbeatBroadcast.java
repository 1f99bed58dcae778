package io.mailflow.detect;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Sends heartbeats to every partition of a repartition topic (KIP-837 multicast) and every other
 * record to one partition. Connector-keyed tasks only see their own connectors' records; the
 * broadcast heartbeat carries the input's stream time to all of them, so windows close and
 * quiet episodes resolve even on partitions whose connectors went silent.
 *
 * <p>With a partition key, a record goes where a record keyed by that string would go under
 * the default partitioner: on connector-signals, failures keyed "connector|code" land on the
 * partition of "connector", with that connector's snapshots (keyed "connector"), so the episode
 * detector finds the connector's queue in its own task's connector-queue store.
 */
public final class HeartbeatBroadcast<V> implements StreamPartitioner<String, V> {

    /** connector-signals: heartbeats to every partition, every other signal to its connector's. */
    public static HeartbeatBroadcast<io.mailflow.avro.internal.ConnectorSignal> connectorSignals() {
        return new HeartbeatBroadcast<>(ConnectorSignals::isHeartbeat, ConnectorSignals::connectorId);
    }

    /** stats-partials: heartbeats to every partition, partials by their key (connector|code). */
    public static HeartbeatBroadcast<io.mailflow.avro.internal.StatsPartial> statsPartials() {
        return new HeartbeatBroadcast<>(io.mailflow.avro.internal.StatsPartial::getHeartbeat);
    }

    private final Predicate<V> isHeartbeat;
    private final Function<V, String> partitionKey;

    /** Heartbeats to all partitions, everything else by its record key. */
    HeartbeatBroadcast(final Predicate<V> isHeartbeat) {
        this(isHeartbeat, null);
    }

    HeartbeatBroadcast(final Predicate<V> isHeartbeat, final Function<V, String> partitionKey) {
        this.isHeartbeat = isHeartbeat;
        this.partitionKey = partitionKey;
    }

    @Override
    public Optional<Set<Integer>> partitions(final String topic, final String key, final V value, final int numPartitions) {
        if (value != null && isHeartbeat.test(value)) {
            return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
        }
        if (value != null && partitionKey != null) {
            final String by = partitionKey.apply(value);
            if (by != null) {
                // the producer's default for a keyed record: murmur2 of the serialized key
                return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(by.getBytes(StandardCharsets.UTF_8))) % numPartitions));
            }
        }
        return Optional.empty(); // default partitioning by record key
    }
}
