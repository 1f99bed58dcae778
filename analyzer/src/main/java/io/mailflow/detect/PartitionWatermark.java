package io.mailflow.detect;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * How far in event time every input partition has got, as seen by a connector-keyed task
 * through the heartbeats each traces task broadcasts. The watermark is the slowest active
 * partition's event time, so a window closes (or an episode resolves) only once every
 * partition is past it, even when a fast replay runs one partition's task an hour of event
 * time ahead of another's.
 *
 * <p>"Active" is a wall-clock notion, as Kafka Streams' own max.task.idle.ms: a partition that
 * has sent no heartbeat for {@code idleMs} of wall-clock time (its traffic stopped) no longer
 * holds the watermark back. A partition that is merely behind in event time but busy sends
 * heartbeats all the time, so it is waited for however far behind it is. Wall clock therefore
 * only decides about partitions that went silent, never how far a busy replay may get. The
 * watermark never goes backwards.
 *
 * <p>Start-up: a partition is only known once its first heartbeat arrived, and the traces tasks
 * do not all start at once (one may race through an hour of event time before another has
 * processed its first record). So for {@code idleMs} of wall clock after start the watermark
 * stays put, until every partition that has records has had time to report.
 */
final class PartitionWatermark {
    private final KeyValueStore<String, Long> store;
    private final long idleMs;
    private final Map<Integer, Long> eventTime = new HashMap<>();
    private final Map<Integer, Long> lastSeenWallClock = new HashMap<>();
    private final long startedWallClock;
    private long watermark = Long.MIN_VALUE;

    PartitionWatermark(final KeyValueStore<String, Long> store, final long idleMs, final long nowWallClock) {
        this.store = store;
        this.idleMs = idleMs;
        this.startedWallClock = nowWallClock;
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, Long> entry = it.next();
                final int partition = Integer.parseInt(entry.key);
                eventTime.put(partition, entry.value);
                lastSeenWallClock.put(partition, nowWallClock); // restored partitions get a fresh chance
            }
        }
        recompute(nowWallClock);
    }

    /** Records that a partition has reached {@code time}; returns the watermark. */
    long observe(final int partition, final long time, final long nowWallClock) {
        lastSeenWallClock.put(partition, nowWallClock);
        final Long previous = eventTime.get(partition);
        if (previous == null || time > previous) {
            eventTime.put(partition, time);
            store.put(Integer.toString(partition), time);
        }
        recompute(nowWallClock);
        return watermark;
    }

    /** The watermark, after dropping partitions that went silent by {@code nowWallClock}. */
    long current(final long nowWallClock) {
        recompute(nowWallClock);
        return watermark;
    }

    long current() {
        return watermark;
    }

    private void recompute(final long nowWallClock) {
        if (nowWallClock - startedWallClock < idleMs) {
            return; // still waiting for every partition's first heartbeat
        }
        long minActive = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (final Map.Entry<Integer, Long> e : eventTime.entrySet()) {
            max = Math.max(max, e.getValue());
            if (nowWallClock - lastSeenWallClock.getOrDefault(e.getKey(), nowWallClock) < idleMs) {
                minActive = Math.min(minActive, e.getValue());
            }
        }
        if (max == Long.MIN_VALUE) {
            return;
        }
        watermark = Math.max(watermark, minActive == Long.MAX_VALUE ? max : minActive);
    }
}
