package io.mailflow.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.apache.kafka.common.utils.Bytes;

/**
 * The heap part of a {@link LoggedWindow}: point entries of serialized keys and values, a key's
 * entries in a list by time, so a lookup over a key's times is a hash lookup and a walk of its few
 * entries (in RocksDB it was a seek through the memtables and files of every segment). Each entry
 * takes its size from a {@link HeapBudget}, and gives it back when it expires or the window is
 * released.
 *
 * <p>Visibility is a Kafka window store's: an entry counts while its time is above the latest
 * time written ({@link #advance}, which the owner calls for every write, held here or not) less
 * the retention. Entries at or below that bound are dropped a minute of event time at a time.
 * Only the task's stream thread uses it.
 */
final class HeapKeyedWindow {
    /** Expiry drops the keys written in one bucket of this much event time at once. */
    private static final long BUCKET_MS = 60_000L;
    /**
     * What an entry costs besides its key and value bytes: the two arrays' headers, the key's
     * wrapper, the list node, the hash map's node and table slot, the expiry list's slot
     * (compressed pointers, 8-byte alignment).
     */
    static final int ENTRY_OVERHEAD_BYTES = 136;

    static final class Entry {
        final long time;
        byte[] value;
        Entry next;

        Entry(final long time, final byte[] value, final Entry next) {
            this.time = time;
            this.value = value;
            this.next = next;
        }
    }

    private final long retentionMs;
    private final HeapBudget budget;
    private final HashMap<Bytes, Entry> byKey = new HashMap<>();
    private final TreeMap<Long, ArrayList<Bytes>> keysByBucket = new TreeMap<>();
    private long observedTime = Long.MIN_VALUE;
    private long reservedBytes;
    private int size;

    HeapKeyedWindow(final long retentionMs, final HeapBudget budget) {
        this.retentionMs = retentionMs;
        this.budget = budget;
    }

    /** Moves the window's time to {@code time} if that is later, dropping what falls out of the retention. */
    void advance(final long time) {
        if (time > observedTime) {
            observedTime = time;
            expire();
        }
    }

    /** Whether an entry at {@code time} counts now. */
    boolean isLive(final long time) {
        return observedTime == Long.MIN_VALUE || time > observedTime - retentionMs;
    }

    /** The lowest time that counts now (Long.MIN_VALUE before any write). */
    long lowestLiveTime() {
        return observedTime == Long.MIN_VALUE ? Long.MIN_VALUE : observedTime - retentionMs + 1;
    }

    /**
     * Replaces the value the key has at exactly {@code time}, or deletes it ({@code value} null);
     * false, and nothing changed, when the key has no entry there.
     */
    boolean replace(final Bytes key, final byte[] value, final long time) {
        final Entry first = byKey.get(key);
        Entry prev = null;
        Entry e = first;
        while (e != null && e.time < time) {
            prev = e;
            e = e.next;
        }
        if (e == null || e.time != time) {
            return false;
        }
        if (value != null) {
            budget.force(value.length - e.value.length);
            reservedBytes += value.length - e.value.length;
            e.value = value;
            return true;
        }
        if (prev == null) {
            if (e.next == null) {
                byKey.remove(key);
            } else {
                byKey.put(key, e.next);
            }
        } else {
            prev.next = e.next;
        }
        giveBack(key, e);
        return true;
    }

    /**
     * Adds an entry the key does not have at {@code time} ({@link #replace} said so) if the budget
     * has room for it; false, and nothing added, when it has not.
     */
    boolean add(final Bytes key, final byte[] value, final long time) {
        final long cost = cost(key, value);
        if (!budget.tryReserve(cost)) {
            return false;
        }
        reservedBytes += cost;
        size++;
        final Entry first = byKey.get(key);
        if (first == null || first.time > time) {
            byKey.put(key, new Entry(time, value, first));
        } else {
            Entry prev = first;
            while (prev.next != null && prev.next.time < time) {
                prev = prev.next;
            }
            prev.next = new Entry(time, value, prev.next);
        }
        keysByBucket.computeIfAbsent(Math.floorDiv(time, BUCKET_MS), b -> new ArrayList<>()).add(key);
        return true;
    }

    /** The value the key has at exactly {@code time} if it counts, or null. */
    byte[] get(final Bytes key, final long time) {
        if (!isLive(time)) {
            return null;
        }
        for (Entry e = byKey.get(key); e != null && e.time <= time; e = e.next) {
            if (e.time == time) {
                return e.value;
            }
        }
        return null;
    }

    /** Hands the key's live entries from {@code from} to {@code to}, by time, to {@code each}. */
    void forEach(final Bytes key, final long from, final long to, final BiConsumer<Long, byte[]> each) {
        final long lowest = Math.max(from, lowestLiveTime());
        for (Entry e = byKey.get(key); e != null && e.time <= to; e = e.next) {
            if (e.time >= lowest) {
                each.accept(e.time, e.value);
            }
        }
    }

    /** The key's first live entry from {@code from} to {@code to} and the ones after it, by time; null when none. */
    Entry first(final Bytes key, final long from, final long to) {
        final long lowest = Math.max(from, lowestLiveTime());
        Entry e = byKey.get(key);
        while (e != null && e.time < lowest) {
            e = e.next;
        }
        return e != null && e.time <= to ? e : null;
    }

    /** Entries held. */
    int size() {
        return size;
    }

    /** Gives every entry's bytes back to the budget; the window is empty after. */
    void release() {
        budget.release(reservedBytes);
        reservedBytes = 0;
        size = 0;
        byKey.clear();
        keysByBucket.clear();
    }

    private static long cost(final Bytes key, final byte[] value) {
        return ENTRY_OVERHEAD_BYTES + key.get().length + value.length;
    }

    private void giveBack(final Bytes key, final Entry e) {
        final long cost = cost(key, e.value);
        budget.release(cost);
        reservedBytes -= cost;
        size--;
    }

    /** Drops the entries at or below the retention bound, a whole bucket of keys at a time. */
    private void expire() {
        final long bound = observedTime - retentionMs; // entries at or below it no longer count
        final Iterator<Map.Entry<Long, ArrayList<Bytes>>> buckets = keysByBucket.entrySet().iterator();
        while (buckets.hasNext()) {
            final Map.Entry<Long, ArrayList<Bytes>> bucket = buckets.next();
            if ((bucket.getKey() + 1) * BUCKET_MS - 1 > bound) {
                return; // the bucket's latest time still counts
            }
            for (final Bytes key : bucket.getValue()) {
                Entry e = byKey.get(key);
                while (e != null && e.time <= bound) {
                    giveBack(key, e);
                    e = e.next;
                }
                if (e == null) {
                    byKey.remove(key);
                } else {
                    byKey.put(key, e);
                }
            }
            buckets.remove();
        }
    }
}
