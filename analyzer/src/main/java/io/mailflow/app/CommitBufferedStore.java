package io.mailflow.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * layer ({@link #MAX_PENDING} keys) writes them early too. The pending values belong to the
 * stream thread: interactive queries ({@code KafkaStreams#query}) read the store below, as of
 * the last commit (or early write).
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

    /** Writes since the last commit, in write order (so the changelog order does not depend on hashing). */
    private final Map<K, Object> pending = new LinkedHashMap<>();

    CommitBufferedStore(final KeyValueStore<K, V> below) {
        super(below);
    }

    /** Wraps the stores {@code builder} builds in this layer. */
    static <K, V> StoreBuilder<KeyValueStore<K, V>> of(final StoreBuilder<KeyValueStore<K, V>> builder) {
        return new Builder<>(builder);
    }

    @Override
    public void init(final StateStoreContext context, final StateStore root) {
        pending.clear(); // a task started again after a failure starts from the committed state
        super.init(context, root);
    }

    @Override
    @SuppressWarnings("unchecked")
    public V get(final K key) {
        final Object v = pending.get(key);
        if (v != null) {
            return v == DELETED ? null : (V) v;
        }
        return wrapped().get(key);
    }

    @Override
    public void put(final K key, final V value) {
        pending.put(key, value == null ? DELETED : value);
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
        pending.put(key, DELETED);
        writePendingIfFull();
        return old;
    }

    @Override
    public KeyValueIterator<K, V> range(final K from, final K to) {
        writePending();
        return wrapped().range(from, to);
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
        pending.clear();
        super.clearCache();
    }

    @Override
    public void close() {
        pending.clear();
        super.close();
    }

    /** Number of keys written since the last commit (for tests). */
    int pendingWrites() {
        return pending.size();
    }

    private void writePendingIfFull() {
        if (pending.size() > MAX_PENDING) {
            writePending(); // allowed at any time before the commit: it only writes sooner
        }
    }

    @SuppressWarnings("unchecked")
    private void writePending() {
        if (pending.isEmpty()) {
            return;
        }
        final KeyValueStore<K, V> below = wrapped();
        final List<KeyValue<K, V>> puts = new ArrayList<>(pending.size());
        for (final Map.Entry<K, Object> e : pending.entrySet()) {
            if (e.getValue() == DELETED) {
                below.delete(e.getKey());
            } else {
                puts.add(KeyValue.pair(e.getKey(), (V) e.getValue()));
            }
        }
        // deletes first is safe: a key is pending once, either deleted or put
        below.putAll(puts);
        // cleared only once all of it is below: a write that throws (a registry fault while
        // serializing) leaves every value pending, so the values are written again by the next
        // attempt instead of lost, however Kafka Streams goes on after the exception
        pending.clear();
    }

    /** The same store, with this layer on top. */
    private record Builder<K, V>(StoreBuilder<KeyValueStore<K, V>> below) implements StoreBuilder<KeyValueStore<K, V>> {
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
            return new CommitBufferedStore<>(below.build());
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
