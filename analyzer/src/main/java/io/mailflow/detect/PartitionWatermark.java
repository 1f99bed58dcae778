package io.mailflow.detect;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * How far in event time every input partition has got, as a connector-keyed task sees it through
 * the heartbeats each traces task broadcasts. The watermark is the slowest partition's time, so a
 * window closes (or a failure is judged) only once every partition is past it, however unevenly
 * the partitions progress: a replay that runs one partition hours ahead, a consumer that lags, a
 * failover whose partitions are not reassigned yet.
 *
 * <p>No wall-clock rule here. A partition that has not reported holds the watermark: with the
 * number of input partitions known, that includes one that has not reported at all yet (a
 * killed instance's partitions until they are reassigned and restored). Only the partition's own
 * task can say it is idle (caught up with its end offset, no record for partition-idle; see
 * {@link SourceProgress}); an idle partition stops holding the watermark until it reports again.
 * When every partition is idle the watermark is the latest time any reported. It never goes back.
 */
final class PartitionWatermark {
    private static final String IDLE = "idle|";

    private final KeyValueStore<String, Long> store;
    private final int expectedPartitions;
    private final Map<Integer, Long> eventTime = new HashMap<>();
    private final Set<Integer> idle = new HashSet<>();
    private long watermark = Long.MIN_VALUE;

    /** @param expectedPartitions the traces topic's partition count, 0 when unknown (then only partitions that reported count) */
    PartitionWatermark(final KeyValueStore<String, Long> store, final int expectedPartitions) {
        this.store = store;
        this.expectedPartitions = expectedPartitions;
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, Long> entry = it.next();
                if (entry.key.startsWith(IDLE)) {
                    idle.add(Integer.parseInt(entry.key.substring(IDLE.length())));
                } else {
                    eventTime.put(Integer.parseInt(entry.key), entry.value);
                }
            }
        }
        recompute();
    }

    /** A heartbeat: {@code partition} has reached {@code time} (or is idle there); returns the watermark. */
    long observe(final int partition, final long time, final boolean isIdle) {
        final Long previous = eventTime.get(partition);
        if (previous == null || time > previous) {
            eventTime.put(partition, time);
            store.put(Integer.toString(partition), time);
        }
        if (isIdle && idle.add(partition)) {
            store.put(IDLE + partition, 1L);
        } else if (!isIdle && idle.remove(partition)) {
            store.delete(IDLE + partition);
        }
        recompute();
        return watermark;
    }

    long current() {
        return watermark;
    }

    private void recompute() {
        long minActive = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (final Map.Entry<Integer, Long> e : eventTime.entrySet()) {
            max = Math.max(max, e.getValue());
            if (!idle.contains(e.getKey())) {
                minActive = Math.min(minActive, e.getValue());
            }
        }
        for (int p = 0; p < expectedPartitions; p++) {
            if (!eventTime.containsKey(p) && !idle.contains(p)) {
                return; // a partition that has not reported yet holds everything back
            }
        }
        if (max == Long.MIN_VALUE) {
            return;
        }
        watermark = Math.max(watermark, minActive == Long.MAX_VALUE ? max : minActive);
    }
}
