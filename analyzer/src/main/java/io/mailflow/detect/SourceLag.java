package io.mailflow.detect;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;

/**
 * How many records of a traces partition the stream thread that owns it has not fetched yet,
 * as its consumer knows it (Consumer#currentLag). A traces task asks this on its own stream
 * thread before it declares its partition idle: a partition is idle when it is caught up with
 * its end offset and has had no record for a while, never merely because it is slow or behind.
 *
 * <p>The app registers each stream thread's main consumer here (by thread name) as Kafka Streams
 * creates it; where nothing is registered (TopologyTestDriver) the lag is unknown and no
 * partition is ever declared idle.
 */
public final class SourceLag {
    /** The lag of one partition as the owning consumer knows it; empty when not known. */
    public interface Probe {
        OptionalLong lag(TopicPartition partition);
    }

    private static final Map<String, Probe> BY_THREAD = new ConcurrentHashMap<>();

    private SourceLag() {
    }

    public static void register(final String streamThreadName, final Probe probe) {
        BY_THREAD.put(streamThreadName, probe);
    }

    public static void unregister(final String streamThreadName) {
        BY_THREAD.remove(streamThreadName);
    }

    /** Asked on the stream thread that owns {@code partition}. */
    static OptionalLong onThisThread(final TopicPartition partition) {
        final Probe probe = BY_THREAD.get(Thread.currentThread().getName());
        return probe == null ? OptionalLong.empty() : probe.lag(partition);
    }
}
