package io.mailflow.state;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * The changelog of timed entries (a window store's, or pending items') written once per commit, as
 * batches: the entries a task wrote since its last commit go to this logged key-value store as a
 * few records of up to {@link #MAX_BATCH_BYTES} each, not one changelog record per entry. For the window
 * stores written about once per trace ({@code queue-arrivals}, {@code queue-outcomes},
 * {@code stats-partial-messages}), whose per-entry changelog records cost a sixth of the full
 * topology's throughput (docs/benchmarks.md, "Twelfth cut").
 *
 * <p>The window store itself is not logged. The processor that owns both opens it through
 * {@link #logging}, which first puts back every entry this log holds (a task started on an
 * instance whose local state is older, or has none) and then hands out a {@link LoggedWindow}
 * whose puts go to both; or, for a small window store, keeps the entries on the heap
 * ({@link #inHeap}: a {@link HeapWindow}, no Kafka window store at all).
 *
 * <p>How it stays exactly-once: the batches are written in {@code flushCache}, the hook Kafka
 * Streams calls on every store before it commits a task's offsets and transaction (as
 * {@code CommitBufferedStore} does), so they reach the changelog in the same transaction as the
 * input they came from. A task closed without a commit drops its pending entries; under
 * exactly-once Kafka Streams then wipes the task's local state (logged or not) and restores this
 * log, from which the window store is filled again.
 *
 * <p>Batches are keyed by a sequence number (8 bytes, big-endian), so the changelog is compacted
 * like any key-value changelog and replays in write order (a later entry for the same key and
 * time wins). A batch is deleted (a tombstone) once all its entries are older than the window
 * store's retention: the changelog holds the live entries, whatever their event time.
 *
 * <p>The same log serves entries that live until their owner is done with them rather than for a
 * retention ({@link #untilReleased}, {@link #pending}: {@link PendingItems},
 * {@code connector-signals-pending}): the owner releases every entry before a time, the bound is
 * written with the batches (a one-byte key), a replay skips the entries before it, and a batch
 * goes once all its entries are released.
 */
public final class BatchChangelog<K, V> extends WrappedStateStore<KeyValueStore<Bytes, byte[]>, Bytes, byte[]>
    implements KeyValueStore<Bytes, byte[]> {

    /** Largest batch record: well under the broker's default 1 MB message size. */
    static final int MAX_BATCH_BYTES = 256 * 1024;
    private static final int NULL_LENGTH = -1;
    /** Retention of a log whose entries live until their owner releases them ({@link #releaseBefore}). */
    private static final long UNTIL_RELEASED = Long.MAX_VALUE;
    /** The record that holds the release bound: one byte, where every batch key has eight. */
    private static final Bytes RELEASE_KEY = Bytes.wrap(new byte[] {0});

    /** The store whose changelog subject the serdes write under: the window store, or the items' old store. */
    private final String subjectStore;
    private final Serde<K> keySerde;
    private final Serde<V> valueSerde;
    private final long retentionMs;

    /** The window store's changelog subject, which its serdes write under, logged or not. */
    private String serdeTopic;
    /** Entries written since the last commit, encoded one after the other in write order: the next batch. */
    private byte[] pending = new byte[8192];
    private int pendingBytes;
    private long pendingMaxTime = Long.MIN_VALUE;
    private long nextSequence;
    /** Latest entry time appended or replayed: the window store's own stream time, as far as it matters here. */
    private long observedTime = Long.MIN_VALUE;
    /** Every batch below as {latest entry time, sequence}, earliest first: what expires next. */
    private final PriorityQueue<long[]> batchesByTime = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
    private boolean indexed;
    /** Every entry before this time was released by the owner: not replayed, and its batch can go. */
    private long releasedBefore = Long.MIN_VALUE;
    /** Whether {@link #releasedBefore} moved since it was last written below. */
    private boolean releaseMoved;

    BatchChangelog(final KeyValueStore<Bytes, byte[]> below, final String subjectStore, final Serde<K> keySerde,
                   final Serde<V> valueSerde, final long retentionMs) {
        super(below);
        this.subjectStore = subjectStore;
        this.keySerde = keySerde;
        this.valueSerde = valueSerde;
        this.retentionMs = retentionMs;
    }

    /**
     * The store {@code below} builds (a logged key-value store of bytes), holding in this layer the
     * batches of window store {@code windowStore}, whose keys and values {@code keySerde} and
     * {@code valueSerde} write and whose entries live {@code retention}.
     */
    public static <K, V> StoreBuilder<KeyValueStore<Bytes, byte[]>> store(final StoreBuilder<KeyValueStore<Bytes, byte[]>> below,
                                                                         final String windowStore, final Serde<K> keySerde,
                                                                         final Serde<V> valueSerde, final java.time.Duration retention) {
        return new Builder<>(below, windowStore, keySerde, valueSerde, retention.toMillis());
    }

    /**
     * The store {@code below} builds, holding in this layer the batches of entries that live until
     * their owner releases them ({@link PendingItems}), written by {@code keySerde} and
     * {@code valueSerde} under the changelog subject of {@code subjectStore}.
     */
    public static <K, V> StoreBuilder<KeyValueStore<Bytes, byte[]>> untilReleased(final StoreBuilder<KeyValueStore<Bytes, byte[]>> below,
                                                                                 final String subjectStore, final Serde<K> keySerde,
                                                                                 final Serde<V> valueSerde) {
        return new Builder<>(below, subjectStore, keySerde, valueSerde, UNTIL_RELEASED);
    }

    /**
     * The log {@code store} (as a processor's context hands it out), filled into a new
     * {@link LoggedWindow} that holds its entries on the heap as far as {@code heapBudget} allows
     * and in {@code window} (the unlogged window store it belongs to, of the serialized keys and
     * values) beyond: the window store as the processor uses it. The bytes go in as logged, not
     * deserialized and written again.
     */
    public static <K, V> LoggedWindow<K, V> logging(final StateStore store, final WindowStore<Bytes, byte[]> window,
                                                    final HeapBudget heapBudget) {
        final BatchChangelog<K, V> typed = unwrap(store);
        final LoggedWindow<K, V> logged = new LoggedWindow<>(window, typed, typed.retentionMs, heapBudget);
        logged.replaying();
        typed.replayInto((key, value, time) -> logged.place(Bytes.wrap(key), value, time));
        logged.replayed(typed.observedTime);
        return logged;
    }

    /**
     * The log {@code store} (as a processor's context hands it out), filled into a new
     * {@link HeapWindow} whose entries live {@code retention}: a logged window store with nothing
     * but this log in Kafka Streams.
     */
    public static <K, V> HeapWindow<K, V> inHeap(final StateStore store, final java.time.Duration retention) {
        final BatchChangelog<K, V> log = unwrap(store);
        final HeapWindow<K, V> window = new HeapWindow<>(log, retention.toMillis());
        log.replayInto((key, value, time) -> window.putLocally(log.key(key), log.value(value), time));
        return window;
    }

    /**
     * The log {@code store} (as a processor's context hands it out), its entries not released yet
     * filled into new {@link PendingItems} whose keys iterate in {@code order}.
     */
    public static <K, V> PendingItems<K, V> pending(final StateStore store, final java.util.Comparator<? super K> order) {
        final BatchChangelog<K, V> log = unwrap(store);
        final PendingItems<K, V> items = new PendingItems<>(log, order);
        log.replayInto((key, value, time) -> items.putLocally(log.key(key), value));
        return items;
    }

    @SuppressWarnings("unchecked")
    private static <K, V> BatchChangelog<K, V> unwrap(final StateStore store) {
        StateStore s = store;
        while (!(s instanceof BatchChangelog) && s instanceof WrappedStateStore<?, ?, ?> w) {
            s = w.wrapped(); // the context's read-write decorator around this layer
        }
        if (!(s instanceof BatchChangelog<?, ?> log)) {
            throw new IllegalArgumentException(store.name() + " is not a window batch log");
        }
        return (BatchChangelog<K, V>) log;
    }

    /** Where a replay puts the entries, as serialized (a null value stays null). */
    @FunctionalInterface
    private interface Entries {
        void put(byte[] key, byte[] value, long time);
    }

    @Override
    public void init(final StateStoreContext context, final StateStore root) {
        forgetPending(); // a task started again after a failure starts from the committed state
        indexed = false;
        batchesByTime.clear();
        observedTime = Long.MIN_VALUE;
        nextSequence = 0;
        releasedBefore = Long.MIN_VALUE;
        releaseMoved = false;
        serdeTopic = context.applicationId() + "-" + subjectStore + "-changelog";
        super.init(context, root);
    }

    /** Notes an entry the window store was just given, for the next commit's batch. */
    void append(final K key, final V value, final long time) {
        append(keyBytes(key), valueBytes(value), time);
    }

    /** The key as the window store and this log hold it. */
    byte[] keyBytes(final K key) {
        return keySerde.serializer().serialize(serdeTopic, key);
    }

    /** The value as the window store and this log hold it; null stays null. */
    byte[] valueBytes(final V value) {
        return value == null ? null : valueSerde.serializer().serialize(serdeTopic, value);
    }

    K key(final byte[] key) {
        return keySerde.deserializer().deserialize(serdeTopic, key);
    }

    V value(final byte[] value) {
        return value == null ? null : valueSerde.deserializer().deserialize(serdeTopic, value);
    }

    /** Notes an entry, serialized by {@link #keyBytes} and {@link #valueBytes}, for the next commit's batch. */
    void append(final byte[] k, final byte[] v, final long time) {
        final int size = 8 + 4 + k.length + 4 + (v == null ? 0 : v.length);
        if (pendingBytes + size > MAX_BATCH_BYTES && pendingBytes > 0) {
            writePending(); // allowed at any time before the commit: it only writes sooner
        }
        if (pendingBytes + size > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(2 * pending.length, pendingBytes + size));
        }
        final ByteBuffer entry = ByteBuffer.wrap(pending, pendingBytes, size).putLong(time).putInt(k.length).put(k)
            .putInt(v == null ? NULL_LENGTH : v.length);
        if (v != null) {
            entry.put(v);
        }
        pendingBytes += size;
        pendingMaxTime = Math.max(pendingMaxTime, time);
        observedTime = Math.max(observedTime, time);
    }

    /**
     * Every entry before {@code time} is done with (the owner took it): a restart does not bring it
     * back, and a batch of nothing but such entries is deleted at the next commit. Never moves back.
     */
    void releaseBefore(final long time) {
        if (time > releasedBefore) {
            releasedBefore = time;
            releaseMoved = true;
        }
    }

    /** The latest release bound: given since the task started, or as committed before; Long.MIN_VALUE when none. */
    long releasedBefore() {
        return releasedBefore;
    }

    /** Puts every entry of every batch not released, in write order, into {@code window}; indexes the batches. */
    private void replayInto(final Entries window) {
        // a processor starts from the committed state: nothing it appended or released before counts
        forgetPending();
        batchesByTime.clear();
        nextSequence = 0;
        final byte[] release = wrapped().get(RELEASE_KEY);
        releasedBefore = release == null ? Long.MIN_VALUE : ByteBuffer.wrap(release).getLong();
        releaseMoved = false;
        try (KeyValueIterator<Bytes, byte[]> it = wrapped().all()) {
            while (it.hasNext()) {
                final KeyValue<Bytes, byte[]> batch = it.next();
                if (batch.key.get().length != Long.BYTES) {
                    continue; // the release bound
                }
                final long sequence = ByteBuffer.wrap(batch.key.get()).getLong();
                final ByteBuffer b = ByteBuffer.wrap(batch.value);
                long latest = Long.MIN_VALUE;
                while (b.hasRemaining()) {
                    final long time = b.getLong();
                    final byte[] k = new byte[b.getInt()];
                    b.get(k);
                    final int vLength = b.getInt();
                    byte[] v = null;
                    if (vLength != NULL_LENGTH) {
                        v = new byte[vLength];
                        b.get(v);
                    }
                    if (time >= releasedBefore) {
                        window.put(k, v, time);
                    }
                    latest = Math.max(latest, time);
                }
                batchesByTime.add(new long[] {latest, sequence});
                observedTime = Math.max(observedTime, latest);
                nextSequence = Math.max(nextSequence, sequence + 1);
            }
        }
        indexed = true;
    }

    /** Called by Kafka Streams before every commit: the pending entries go below as batches, expired batches go. */
    @Override
    public void flushCache() {
        writePending();
        if (releaseMoved) {
            wrapped().put(RELEASE_KEY, ByteBuffer.allocate(Long.BYTES).putLong(releasedBefore).array());
            releaseMoved = false;
        }
        deleteExpired();
        super.flushCache();
    }

    private void writePending() {
        if (pendingBytes == 0) {
            return;
        }
        if (!indexed) {
            throw new IllegalStateException("window batch log " + name() + " written before its window store was filled from it");
        }
        final byte[] batch = Arrays.copyOf(pending, pendingBytes);
        final long sequence = nextSequence;
        wrapped().put(batchKey(sequence), batch);
        // cleared only once it is below: a write that throws leaves the entries pending
        nextSequence++;
        batchesByTime.add(new long[] {pendingMaxTime, sequence});
        forgetPending();
    }

    /** Tombstones the batches whose entries are all past the window store's retention, or released. */
    private void deleteExpired() {
        // the window store answers for entries above observedTime - retention (Kafka's bound)
        final long expiredUpTo = observedTime == Long.MIN_VALUE || retentionMs == UNTIL_RELEASED
            ? Long.MIN_VALUE : observedTime - retentionMs;
        final long bound = releasedBefore == Long.MIN_VALUE ? expiredUpTo : Math.max(expiredUpTo, releasedBefore - 1);
        while (!batchesByTime.isEmpty() && batchesByTime.peek()[0] <= bound) {
            // put(key, null), not delete(key): delete() reads the whole batch back to return it
            wrapped().put(batchKey(batchesByTime.poll()[1]), null);
        }
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
        pendingBytes = 0;
        pendingMaxTime = Long.MIN_VALUE;
    }

    /** A batch's key below: its sequence number, 8 bytes big-endian (read back in init). */
    private static Bytes batchKey(final long sequence) {
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES).putLong(sequence).array());
    }

    /** Number of batches below (for tests). */
    int batches() {
        return batchesByTime.size();
    }

    // ---- the key-value store interface: the batches, read-only to anyone but this layer ------

    @Override
    public void put(final Bytes key, final byte[] value) {
        throw new UnsupportedOperationException("a window batch log is written through its LoggedWindow");
    }

    @Override
    public byte[] putIfAbsent(final Bytes key, final byte[] value) {
        throw new UnsupportedOperationException("a window batch log is written through its LoggedWindow");
    }

    @Override
    public void putAll(final List<KeyValue<Bytes, byte[]>> entries) {
        throw new UnsupportedOperationException("a window batch log is written through its LoggedWindow");
    }

    @Override
    public byte[] delete(final Bytes key) {
        throw new UnsupportedOperationException("a window batch log is written through its LoggedWindow");
    }

    @Override
    public byte[] get(final Bytes key) {
        return wrapped().get(key);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(final Bytes from, final Bytes to) {
        return wrapped().range(from, to);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
        return wrapped().all();
    }

    @Override
    public long approximateNumEntries() {
        return wrapped().approximateNumEntries();
    }

    /** Builds the logged store below and wraps it in this layer. */
    private record Builder<K, V>(StoreBuilder<KeyValueStore<Bytes, byte[]>> below, String subjectStore, Serde<K> keySerde,
                                 Serde<V> valueSerde, long retentionMs) implements StoreBuilder<KeyValueStore<Bytes, byte[]>> {
        @Override
        public StoreBuilder<KeyValueStore<Bytes, byte[]>> withCachingEnabled() {
            throw new UnsupportedOperationException("a window batch log writes once per commit already");
        }

        @Override
        public StoreBuilder<KeyValueStore<Bytes, byte[]>> withCachingDisabled() {
            return new Builder<>(below.withCachingDisabled(), subjectStore, keySerde, valueSerde, retentionMs);
        }

        @Override
        public StoreBuilder<KeyValueStore<Bytes, byte[]>> withLoggingEnabled(final Map<String, String> config) {
            return new Builder<>(below.withLoggingEnabled(config), subjectStore, keySerde, valueSerde, retentionMs);
        }

        @Override
        public StoreBuilder<KeyValueStore<Bytes, byte[]>> withLoggingDisabled() {
            throw new UnsupportedOperationException("a window batch log is the window store's changelog");
        }

        @Override
        public KeyValueStore<Bytes, byte[]> build() {
            return new BatchChangelog<>(below.build(), subjectStore, keySerde, valueSerde, retentionMs);
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
