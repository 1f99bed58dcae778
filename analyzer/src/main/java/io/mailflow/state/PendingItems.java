package io.mailflow.state;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Items waiting on the heap in key order until their owner takes them, logged by a
 * {@link BatchChangelog}: the items put between two commits reach the changelog as one batch, and
 * taking items writes nothing but a moved release bound at the commit (where a logged key-value
 * store wrote a record for each put and a tombstone for each take, and its scans for due items
 * merged a commit buffer into an in-memory store's range copy: 5 % of the stream threads in the
 * bench, "Thirteenth cut" in docs/benchmarks.md).
 *
 * <p>For items whose keys start with their time, taken in key order up to a time that only moves
 * forward: {@code connector-signals-pending}. {@link #takenBefore(long)} says every item before a
 * time was taken; a task that starts again gets back exactly the items at or after the last bound
 * it committed, and that bound ({@link #takenBefore()}), so its timeline goes on from where it
 * stood. Only the task's stream thread uses it.
 *
 * <p>The items are held serialized, as logged: a put serializes once for the heap and the log, a
 * task start puts the logged bytes back as they are, and an item is deserialized when it is
 * taken. As objects they took a third more heap in the bench's state section (500 MB live heap
 * against 366 MB held serialized, with a million recipients queued, most of them deferred at the end).
 */
public final class PendingItems<K, V> {
    private final BatchChangelog<K, V> log;
    private final TreeMap<K, byte[]> items;

    PendingItems(final BatchChangelog<K, V> log, final Comparator<? super K> order) {
        this.log = log;
        this.items = new TreeMap<>(order);
    }

    /**
     * Holds {@code value} under {@code key}, an item of time {@code time}, unless an item is held
     * under that key: true then, false and nothing changed if one is. One lookup of the key.
     */
    public boolean putIfAbsent(final K key, final V value, final long time) {
        final byte[] bytes = log.valueBytes(value);
        if (items.putIfAbsent(key, bytes) != null) {
            return false;
        }
        log.append(log.keyBytes(key), bytes, time);
        return true;
    }

    public boolean contains(final K key) {
        return items.containsKey(key);
    }

    /** Removes and returns, in key order, every item whose key is below {@code bound}. */
    public List<Map.Entry<K, V>> takeBelow(final K bound) {
        final List<Map.Entry<K, V>> taken = new ArrayList<>();
        while (!items.isEmpty() && items.comparator().compare(items.firstKey(), bound) < 0) {
            final Map.Entry<K, byte[]> item = items.pollFirstEntry();
            taken.add(new AbstractMap.SimpleImmutableEntry<>(item.getKey(), log.value(item.getValue())));
        }
        return taken;
    }

    /**
     * Every item of a time before {@code time} has been taken: none comes back after a restart,
     * and the log drops the batches that hold only such items. Never moves back.
     */
    public void takenBefore(final long time) {
        log.releaseBefore(time);
    }

    /** The latest bound given to {@link #takenBefore(long)}, or the one committed before the task started; Long.MIN_VALUE when none. */
    public long takenBefore() {
        return log.releasedBefore();
    }

    /** Number of items held. */
    public int size() {
        return items.size();
    }

    /** A put without logging: what the log replays when the task starts. */
    void putLocally(final K key, final byte[] value) {
        if (value == null) {
            items.remove(key);
        } else {
            items.put(key, value);
        }
    }
}
