package io.mailflow.app;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * A key-value store whose writes wait, as objects, until the task commits: a value written many
 * times between two commits is serialized and written to the store below (and its changelog)
 * once, at the commit, and reads of it in between cost a map lookup instead of a deserialization.
 * For state that changes with nearly every record, such as a stats window's counts.
 *
 * <p>How it stays exactly-once: Kafka Streams flushes every store's cache before it commits the
 * task's offsets and transaction ({@code CachedStateStore#flushCache}, the hook its own record
 * cache uses); this layer is outermost, so its writes reach the changelog inside the same
 * transaction as the input offsets they belong to. When a task is closed without a commit
 * (a crash, an aborted transaction), the pending writes are dropped with it, as are the
 * uncommitted records they belong to, and the task starts again from the last commit.
 *
 * <p>Scans (range, all, prefix) write the pending values first, so they see every write; a full
 * layer ({@link #MAX_PENDING} keys) writes them early too. An {@link #ordered} layer instead
 * merges its pending values into a range scan, for stores scanned as often as they are written
 * (items waiting in key order for their turn). In an ordered layer a key that was not below when
 * it was written (the store said so on the {@code get} just before, as a caller choosing a free
 * key asks) and is deleted before the commit reaches neither the store below nor its changelog.
 * The pending values belong to the stream thread: interactive queries ({@code KafkaStreams#query})
 * read the store below, as of the last commit (or early write).
 *
 * <p>{@code get} returns the pending object itself, not a copy: a processor that changes a value
 * it read must put it back (as mailflow's processors do), and must not change a value after
 * putting it unless that change is meant to be stored too.
 */
final class CommitBufferedStore<K, V> extends WrappedStateStore<KeyValueStore<K, V>, K, V>
    implements KeyValueStore<K, V> {

    /**
     * At most this many keys wait for the commit; one more writes them all below at once, as
     * Kafka's record cache evicts when full. With exactly-once (a commit every 100 ms) a task
     * rarely touches this many keys between commits; with at-least-once (every 30 s) this bounds
     * the heap the layer holds, a few MB per store of a task.
     */
    static final int MAX_PENDING = 2_000;

    /** A pending delete: the key is in {@link #pending} with this value. */
    private static final Object DELETED = new Object();

    /**
     * Order of the keys in the store below (its serialized keys' byte order), for an ordered layer;
     * null when scans write the pending values below first.
     */
    private final Comparator<? super K> order;
    /**
     * Writes since the last commit: in write order (so the changelog order does not depend on
     * hashing), or in key order for an ordered layer.
     */
    private final Map<K, Object> pending;
    /** Keys written since the last commit that were not below when written (ordered layer only). */
    private final Set<K> absentBelow = new HashSet<>();
    /** The key the store below last answered null for, until anything is written below. */
    private K lastAbsent;

    CommitBufferedStore(final KeyValueStore<K, V> below, final Comparator<? super K> order) {
        super(below);
        this.order = order;
        this.pending = order == null ? new LinkedHashMap<>() : new TreeMap<>(order);
    }

    /** Wraps the stores {@code builder} builds in this layer. */
    static <K, V> StoreBuilder<KeyValueStore<K, V>> of(final StoreBuilder<KeyValueStore<K, V>> builder) {
        return new Builder<>(builder, null);
    }

    /**
     * Wraps the stores {@code builder} builds in an ordered layer: range scans merge the pending
     * values instead of writing them below first. {@code order} must be the store's key order.
     */
    static <K, V> StoreBuilder<KeyValueStore<K, V>> ordered(final StoreBuilder<KeyValueStore<K, V>> builder,
                                                            final Comparator<? super K> order) {
        return new Builder<>(builder, order);
    }

    @Override
    public void init(final StateStoreContext context, final StateStore root) {
        forgetPending(); // a task started again after a failure starts from the committed state
        super.init(context, root);
    }

    @Override
    @SuppressWarnings("unchecked")
    public V get(final K key) {
        final Object v = pending.get(key);
        if (v != null) {
            return v == DELETED ? null : (V) v;
        }
        final V below = wrapped().get(key);
        if (below == null && order != null) {
            lastAbsent = key;
        }
        return below;
    }

    @Override
    public void put(final K key, final V value) {
        if (value == null) {
            remove(key); // a delete that does not read the old value to return it
            return;
        }
        if (order != null && key.equals(lastAbsent)) {
            absentBelow.add(key);
        }
        pending.put(key, value);
        writePendingIfFull();
    }

    @Override
    public V putIfAbsent(final K key, final V value) {
        final V old = get(key);
        if (old == null) {
            put(key, value);
        }
        return old;
    }

    @Override
    public void putAll(final List<KeyValue<K, V>> entries) {
        for (final KeyValue<K, V> e : entries) {
            put(e.key, e.value);
        }
    }

    @Override
    public V delete(final K key) {
        final V old = get(key);
        remove(key);
        return old;
    }

    private void remove(final K key) {
        if (absentBelow.contains(key)) {
            pending.remove(key); // never below: nothing to delete there, nothing to log
        } else {
            pending.put(key, DELETED);
        }
        writePendingIfFull();
    }

    @Override
    public KeyValueIterator<K, V> range(final K from, final K to) {
        if (order == null) {
            writePending();
            return wrapped().range(from, to);
        }
        final Map<K, Object> inRange = from == null && to == null ? pending
            : from == null ? ((TreeMap<K, Object>) pending).headMap(to, true)
            : to == null ? ((TreeMap<K, Object>) pending).tailMap(from, true)
            : order.compare(from, to) > 0 ? Map.of()
            : ((TreeMap<K, Object>) pending).subMap(from, true, to, true);
        // a copy, as Kafka's in-memory store copies the keys it iterates: writes while iterating are allowed
        return new MergedRange<>(new ArrayList<>(inRange.entrySet()), wrapped().range(from, to), order);
    }

    @Override
    public KeyValueIterator<K, V> reverseRange(final K from, final K to) {
        writePending();
        return wrapped().reverseRange(from, to);
    }

    @Override
    public KeyValueIterator<K, V> all() {
        writePending();
        return wrapped().all();
    }

    @Override
    public KeyValueIterator<K, V> reverseAll() {
        writePending();
        return wrapped().reverseAll();
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<K, V> prefixScan(final P prefix, final PS prefixKeySerializer) {
        writePending();
        return wrapped().prefixScan(prefix, prefixKeySerializer);
    }

    @Override
    public long approximateNumEntries() {
        writePending();
        return wrapped().approximateNumEntries();
    }

    /** Called by Kafka Streams before every commit: the pending writes go below, then its caches flush. */
    @Override
    public void flushCache() {
        writePending();
        super.flushCache();
    }

    @Override
    public void clearCache() {
        forgetPending();
        super.clearCache();
    }

    @Override
    public void close() {
        forgetPending();
        super.close();
    }

    private void forgetPending() {
        pending.clear();
        absentBelow.clear();
        lastAbsent = null;
    }

    /** Number of keys written since the last commit (for tests). */
    int pendingWrites() {
        return pending.size();
    }

    private void writePendingIfFull() {
        if (pending.size() > MAX_PENDING) {
            writePending(); // allowed at any time before the commit: it only writes sooner
        } else if (absentBelow.size() > 4 * MAX_PENDING) {
            absentBelow.clear(); // only spares writes: forgetting it costs tombstones, never a wrong value
        }
    }

    @SuppressWarnings("unchecked")
    private void writePending() {
        lastAbsent = null; // what was absent below may not be after this
        absentBelow.clear();
        if (pending.isEmpty()) {
            return;
        }
        final KeyValueStore<K, V> below = wrapped();
        final List<KeyValue<K, V>> puts = new ArrayList<>(pending.size());
        for (final Map.Entry<K, Object> e : pending.entrySet()) {
            // a delete goes as a null value: the store's delete() reads and deserializes the old
            // value to return it, which nobody here wants
            puts.add(KeyValue.pair(e.getKey(), e.getValue() == DELETED ? null : (V) e.getValue()));
        }
        below.putAll(puts);
        // cleared only once all of it is below: a write that throws (a registry fault while
        // serializing) leaves every value pending, so the values are written again by the next
        // attempt instead of lost, however Kafka Streams goes on after the exception
        pending.clear();
    }

    /** A range of the store below with the pending values merged in, in key order; pending deletes hide keys below. */
    private static final class MergedRange<K, V> implements KeyValueIterator<K, V> {
        private final List<Map.Entry<K, Object>> pending;
        private final KeyValueIterator<K, V> below;
        private final Comparator<? super K> order;
        private int next;
        private KeyValue<K, V> head;

        MergedRange(final List<Map.Entry<K, Object>> pending, final KeyValueIterator<K, V> below, final Comparator<? super K> order) {
            this.pending = pending;
            this.below = below;
            this.order = order;
        }

        @Override
        public boolean hasNext() {
            return advance() != null;
        }

        @Override
        public KeyValue<K, V> next() {
            final KeyValue<K, V> kv = advance();
            if (kv == null) {
                throw new NoSuchElementException();
            }
            head = null;
            return kv;
        }

        @Override
        public K peekNextKey() {
            final KeyValue<K, V> kv = advance();
            if (kv == null) {
                throw new NoSuchElementException();
            }
            return kv.key;
        }

        @Override
        public void close() {
            below.close();
        }

        /** The next visible entry (kept in {@link #head} until taken), or null at the end. */
        @SuppressWarnings("unchecked")
        private KeyValue<K, V> advance() {
            while (head == null) {
                final Map.Entry<K, Object> p = next < pending.size() ? pending.get(next) : null;
                final K belowKey = below.hasNext() ? below.peekNextKey() : null;
                if (p == null && belowKey == null) {
                    return null;
                }
                final int c = p == null ? 1 : belowKey == null ? -1 : order.compare(p.getKey(), belowKey);
                if (c > 0) {
                    head = below.next();
                    continue;
                }
                if (c == 0) {
                    below.next(); // the pending value replaces (or deletes) the one below
                }
                next++;
                if (p.getValue() != DELETED) {
                    head = KeyValue.pair(p.getKey(), (V) p.getValue());
                }
            }
            return head;
        }
    }

    /** The same store, with this layer on top. */
    private record Builder<K, V>(StoreBuilder<KeyValueStore<K, V>> below, Comparator<? super K> order)
        implements StoreBuilder<KeyValueStore<K, V>> {
        @Override
        public StoreBuilder<KeyValueStore<K, V>> withCachingEnabled() {
            below.withCachingEnabled();
            return this;
        }

        @Override
        public StoreBuilder<KeyValueStore<K, V>> withCachingDisabled() {
            below.withCachingDisabled();
            return this;
        }

        @Override
        public StoreBuilder<KeyValueStore<K, V>> withLoggingEnabled(final Map<String, String> config) {
            below.withLoggingEnabled(config);
            return this;
        }

        @Override
        public StoreBuilder<KeyValueStore<K, V>> withLoggingDisabled() {
            below.withLoggingDisabled();
            return this;
        }

        @Override
        public KeyValueStore<K, V> build() {
            return new CommitBufferedStore<>(below.build(), order);
        }

        @Override
        public Map<String, String> logConfig() {
            return below.logConfig();
        }

        @Override
        public boolean loggingEnabled() {
            return below.loggingEnabled();
        }

        @Override
        public String name() {
            return below.name();
        }
    }
}
