package io.mailflow.detect;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * How far in event time every input partition has got, as seen by a connector-keyed task
 * through the heartbeats each traces task broadcasts. The watermark is the slowest partition's
 * time, so a window closes (or an episode resolves) only once every partition is past it, even
 * when a fast replay runs one partition's task minutes ahead of another's. A partition more
 * than {@code maxLag} behind the fastest one is taken to be idle and no longer holds the
 * watermark back. The watermark never goes backwards.
 */
final class PartitionWatermark {
    private final KeyValueStore<String, Long> store;
    private final long maxLagMs;
    private final Map<Integer, Long> latest = new HashMap<>();
    private long watermark = Long.MIN_VALUE;

    PartitionWatermark(final KeyValueStore<String, Long> store, final long maxLagMs) {
        this.store = store;
        this.maxLagMs = maxLagMs;
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, Long> entry = it.next();
                latest.put(Integer.parseInt(entry.key), entry.value);
            }
        }
        recompute();
    }

    /** Records that a partition has reached {@code time}; returns the watermark. */
    long observe(final int partition, final long time) {
        final Long previous = latest.get(partition);
        if (previous == null || time > previous) {
            latest.put(partition, time);
            store.put(Integer.toString(partition), time);
            recompute();
        }
        return watermark;
    }

    long current() {
        return watermark;
    }

    private void recompute() {
        if (latest.isEmpty()) {
            return;
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (final long t : latest.values()) {
            min = Math.min(min, t);
            max = Math.max(max, t);
        }
        watermark = Math.max(watermark, Math.max(min, max - maxLagMs));
    }
}
