package io.mailflow.state;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Point entries (a key at a time) kept on the heap for a retention of their own time, logged by a
 * {@link BatchChangelog}: a window store without a Kafka store below it, for one that is small
 * and asked on nearly every record ({@code stats-partial-messages}: the messages counted per
 * stats window). A lookup is a hash lookup, where Kafka's in-memory window store serialized the
 * key and searched a skip list of byte arrays (5 % of the stream threads in the bench).
 *
 * <p>Same answers as a Kafka window store of point entries: an entry is visible while its time is
 * above the latest time written less the retention, and a later write of a key at a time replaces
 * the earlier one. Only the task's stream thread uses it.
 */
public final class HeapWindow<K, V> {
    private final BatchChangelog<K, V> log;
    private final long retentionMs;
    private final TreeMap<Long, Map<K, V>> byTime = new TreeMap<>();
    private long observedTime = Long.MIN_VALUE;
    /** Entries of the time created last when the next one came: the next one's map is made that large. */
    private int lastTimeSize;

    HeapWindow(final BatchChangelog<K, V> log, final long retentionMs) {
        this.log = log;
        this.retentionMs = retentionMs;
    }

    public void put(final K key, final V value, final long time) {
        putLocally(key, value, time);
        log.append(key, value, time);
    }

    /** The value at exactly {@code time}, or null. */
    public V fetch(final K key, final long time) {
        if (!isLive(time)) {
            return null;
        }
        final Map<K, V> at = byTime.get(time);
        return at == null ? null : at.get(key);
    }

    /** A write without logging: what the log replays when the task starts. */
    void putLocally(final K key, final V value, final long time) {
        if (time > observedTime) {
            observedTime = time;
            // everything at or below the retention bound is invisible from now on
            byTime.headMap(observedTime - retentionMs, true).clear();
        }
        if (!isLive(time)) {
            return; // too old already, as a Kafka window store drops it
        }
        if (value == null) {
            final Map<K, V> at = byTime.get(time);
            if (at != null) {
                at.remove(key);
            }
            return;
        }
        Map<K, V> at = byTime.get(time);
        if (at == null) {
            // a window holds about as many messages as the one before it: a map of that size does
            // not rehash its entries again and again as it fills (1 % of the stream threads)
            final Map.Entry<Long, Map<K, V>> latest = byTime.lastEntry();
            if (latest != null) {
                lastTimeSize = latest.getValue().size();
            }
            at = new HashMap<>(Math.max(16, (int) (lastTimeSize / 0.75f) + 1));
            byTime.put(time, at);
        }
        at.put(key, value);
    }

    private boolean isLive(final long time) {
        return observedTime == Long.MIN_VALUE || time > observedTime - retentionMs;
    }

    /** Number of entries held (for tests). */
    int size() {
        return byTime.values().stream().mapToInt(Map::size).sum();
    }
}
