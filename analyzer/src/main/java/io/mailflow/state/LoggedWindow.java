package io.mailflow.state;

import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * A window store of point entries as a processor uses it, and the {@link BatchChangelog} that is
 * its changelog: every put goes to both. Only the calls mailflow's processors make, so no write
 * can bypass the log.
 *
 * <p>Where an entry is held: on the heap ({@link HeapKeyedWindow}) while the instance's
 * {@link HeapBudget} has room, otherwise in the unlogged Kafka window store (RocksDB) beside it.
 * The heap is the fast place: a RocksDB put and a lookup over a key's segments cost about 1 µs
 * each, a third of the queue tracker's work per record (docs/benchmarks.md, "Eighteenth
 * session"). The store is the unbounded place. The answers are the same either way: a read asks
 * the store too as long as an entry put there can still count, and then merges the two by time,
 * the heap's value first (see {@link #place}). Nothing of this is in the log: a task start
 * replays the log through the same placement.
 *
 * <p>Both places hold the serialized keys and values: a put serializes once, for the window and
 * the log alike, and a task start puts the logged bytes back as they are.
 */
public final class LoggedWindow<K, V> {
    private final HeapKeyedWindow heap;
    private final WindowStore<Bytes, byte[]> store;
    private final BatchChangelog<K, V> log;
    /**
     * The latest time of an entry put in {@link #store}: while it counts, the store may hold
     * entries that count. At a start with the store not empty (local state from before), the
     * log's latest time, which bounds what was put there (see {@link #replaying}).
     */
    private long latestInStore = Long.MIN_VALUE;

    LoggedWindow(final WindowStore<Bytes, byte[]> store, final BatchChangelog<K, V> log, final long retentionMs,
                 final HeapBudget budget) {
        this.heap = new HeapKeyedWindow(retentionMs, budget);
        this.store = store;
        this.log = log;
    }

    public void put(final K key, final V value, final long time) {
        final byte[] k = log.keyBytes(key);
        final byte[] v = log.valueBytes(value);
        place(Bytes.wrap(k), v, time);
        log.append(k, v, time);
    }

    /**
     * Puts the value {@code value} supplies at exactly {@code time} unless the key has one there
     * already; true when it put. The key is serialized once for the lookup and the put.
     */
    public boolean putIfAbsent(final K key, final long time, final Supplier<V> value) {
        final byte[] k = log.keyBytes(key);
        final Bytes wrapped = Bytes.wrap(k);
        if (contains(wrapped, time)) {
            return false;
        }
        final byte[] v = log.valueBytes(value.get());
        place(wrapped, v, time);
        log.append(k, v, time);
        return true;
    }

    /** The key's values from {@code from} to {@code to}, by time; close the iterator. */
    public WindowStoreIterator<V> fetch(final K key, final long from, final long to) {
        final Bytes k = Bytes.wrap(log.keyBytes(key));
        final long lowest = Math.max(from, heap.lowestLiveTime());
        final byte[][] onHeap = heap.entries(k);
        if (!storeMayCount()) {
            return new HeapIterator(onHeap, lowest, to);
        }
        // merged by time; where both have a key at a time, the heap's value is the later one
        final TreeMap<Long, byte[]> merged = new TreeMap<>();
        try (WindowStoreIterator<byte[]> it = store.fetch(k, from, to)) {
            while (it.hasNext()) {
                final KeyValue<Long, byte[]> entry = it.next();
                if (entry.key >= lowest) { // the store's own bound lags: it sees only its puts
                    merged.put(entry.key, entry.value);
                }
            }
        }
        for (final byte[] e : onHeap) {
            final long time = HeapKeyedWindow.time(e);
            if (time >= lowest && time <= to) {
                merged.put(time, HeapKeyedWindow.value(e));
            }
        }
        return new MergedIterator(merged.entrySet().iterator());
    }

    /** Heap the entries held on the heap take, as the budget counts it. */
    public long heapBytes() {
        return heap.reservedBytes();
    }

    /** Entries held on the heap (for tests). */
    int heapEntries() {
        return heap.size();
    }

    /** Gives the heap's bytes back to the budget: the task's processor is closed or starts again. */
    public void release() {
        heap.release();
    }

    /**
     * Before a replay of the log: the store may keep entries from before (local state), which
     * count, as far as a read knows, until the replay has told the log's latest time; deletes in
     * the replay reach them.
     */
    void replaying() {
        try (var it = store.all()) {
            if (it.hasNext()) {
                latestInStore = Long.MAX_VALUE;
            }
        }
    }

    /** After a replay of the log, whose latest time bounds what the store kept from before. */
    void replayed(final long logLatestTime) {
        if (latestInStore == Long.MAX_VALUE) {
            latestInStore = logLatestTime;
        }
    }

    /**
     * A write, held on the heap or in the store; no logging (what a task start replays). An entry
     * goes to the heap whenever it has room; a key at a time on the heap is its latest value,
     * which a read prefers to an older one in the store, and a delete goes to both.
     */
    void place(final Bytes key, final byte[] value, final long time) {
        heap.advance(time);
        if (!heap.isLive(time)) {
            return; // counts for nothing already, as in a Kafka window store
        }
        if (value == null) {
            heap.remove(key, time);
            if (storeMayCount()) {
                store.put(key, null, time);
            }
            return;
        }
        if (heap.put(key, value, time)) {
            return;
        }
        store.put(key, value, time);
        latestInStore = Math.max(latestInStore, time);
    }

    private boolean contains(final Bytes key, final long time) {
        if (heap.contains(key, time)) {
            return true;
        }
        return storeMayCount() && heap.isLive(time) && store.fetch(key, time) != null;
    }

    /** Whether an entry put in the store may count now (reads ask it too). */
    boolean storeMayCount() {
        return latestInStore != Long.MIN_VALUE && heap.isLive(latestInStore);
    }

    private KeyValue<Long, V> typed(final long time, final byte[] value) {
        return KeyValue.pair(time, log.value(value));
    }

    /** The entries of one key on the heap, by time, from {@code lowest} to {@code to}. */
    private final class HeapIterator implements WindowStoreIterator<V> {
        private final byte[][] entries;
        private final long lowest;
        private final long to;
        private int next;

        HeapIterator(final byte[][] entries, final long lowest, final long to) {
            this.entries = entries;
            this.lowest = lowest;
            this.to = to;
            skipBelow();
        }

        private void skipBelow() {
            while (next < entries.length && HeapKeyedWindow.time(entries[next]) < lowest) {
                next++;
            }
        }

        @Override
        public boolean hasNext() {
            return next < entries.length && HeapKeyedWindow.time(entries[next]) <= to;
        }

        @Override
        public KeyValue<Long, V> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            final byte[] e = entries[next++];
            return typed(HeapKeyedWindow.time(e), HeapKeyedWindow.value(e));
        }

        @Override
        public Long peekNextKey() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return HeapKeyedWindow.time(entries[next]);
        }

        @Override
        public void close() {
        }
    }

    private final class MergedIterator implements WindowStoreIterator<V> {
        private final Iterator<Map.Entry<Long, byte[]>> entries;
        private Map.Entry<Long, byte[]> peeked;

        MergedIterator(final Iterator<Map.Entry<Long, byte[]>> entries) {
            this.entries = entries;
        }

        @Override
        public boolean hasNext() {
            return peeked != null || entries.hasNext();
        }

        @Override
        public KeyValue<Long, V> next() {
            final Map.Entry<Long, byte[]> e = peeked != null ? peeked : entries.next();
            peeked = null;
            return typed(e.getKey(), e.getValue());
        }

        @Override
        public Long peekNextKey() {
            if (peeked == null) {
                peeked = entries.next();
            }
            return peeked.getKey();
        }

        @Override
        public void close() {
        }
    }
}
