package io.mailflow.state;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;

/**
 * The heap part of a {@link LoggedWindow}: point entries of serialized keys and values, found by
 * key in an open-addressing hash table, so a lookup over a key's times is a hash probe (in RocksDB
 * it was a seek through the memtables and files of every segment). Each entry takes its size
 * from a {@link HeapBudget}, and gives it back when it expires or the window is released.
 *
 * <p>Compact, since the heap it may take is bounded and every entry it holds is a RocksDB call
 * saved: an entry is one byte array (its time, its key's length, its key, its value); a table
 * slot holds a key's one entry, or its entries by time in an array when it has several (rare: a
 * message received, or a recipient delivered, at two times). Besides the key and value: 12 bytes
 * in the entry, its array's header, 16 to 32 bytes of table (at most half full) and a slot and
 * the key's hash in the expiry list; a {@code HashMap} of wrapped keys and linked entries took
 * 136. (HPPC's maps, used for {@code QueuedKeys}, would need each key in an array of its own, 16
 * bytes and the key again.)
 *
 * <p>Visibility is a Kafka window store's: an entry counts while its time is above the latest
 * time written ({@link #advance}, which the owner calls for every write, held here or not) less
 * the retention. Entries at or below that bound are dropped a minute of event time at a time.
 * Only the task's stream thread uses it.
 */
final class HeapKeyedWindow {
    /** Expiry drops the entries written in one bucket of this much event time at once. */
    private static final long BUCKET_MS = 60_000L;
    /** An entry's bytes before its key: time (8), key length (4). */
    private static final int HEADER = 12;
    /** What an entry costs besides its own array: its reference and hash in the expiry list (with the list's spare room). */
    private static final int ENTRY_OVERHEAD_BYTES = 12;
    /** What a table slot costs: its reference and its hash. A larger table is reserved when it grows (the first, of 16, is not). */
    private static final int SLOT_BYTES = 8;
    private static final int INITIAL_SLOTS = 16;
    private static final byte[][] NONE = new byte[0][];
    private static final VarHandle RESERVED_BYTES;

    static {
        try {
            RESERVED_BYTES = MethodHandles.lookup().findVarHandle(HeapKeyedWindow.class, "reservedBytes", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long retentionMs;
    private final HeapBudget budget;
    /** Null, a key's only entry (byte[]), or its entries by time (byte[][], two or more). */
    private Object[] slots = new Object[INITIAL_SLOTS];
    private int[] hashes = new int[INITIAL_SLOTS];
    private int keys;
    private final TreeMap<Long, Bucket> entriesByBucket = new TreeMap<>();
    /** The earliest bucket's key (Long.MAX_VALUE when there is none): time moves on, per record, without a look at the tree. */
    private long firstBucketKey = Long.MAX_VALUE;
    /** The bucket written last: nearly every write goes to it, without a tree lookup. */
    private long lastBucketKey = Long.MIN_VALUE;
    private Bucket lastBucket;
    private long observedTime = Long.MIN_VALUE;
    /** Written by the task's stream thread only, read by the metrics scrape: see {@link #addReserved}. */
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
            if (firstBucketKey != Long.MAX_VALUE && (firstBucketKey + 1) * BUCKET_MS - 1 <= time - retentionMs) {
                expire(); // the earliest bucket's latest time no longer counts
            }
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
     * Sets the key's value at exactly {@code time}: replaces the entry there, or adds one if the
     * budget has room; false, and nothing changed, when it has not. One probe of the table.
     */
    boolean put(final Bytes key, final byte[] value, final long time) {
        final byte[] k = key.get();
        final int h = hash(key);
        final int slot = find(k, h);
        return slot >= 0 && replaceAt(slot, k, value, time) || addAt(slot, k, h, value, time);
    }

    /** Deletes the key's entry at exactly {@code time}, if it has one. */
    void remove(final Bytes key, final long time) {
        final byte[] k = key.get();
        final int slot = find(k, hash(key));
        if (slot >= 0) {
            replaceAt(slot, k, null, time);
        }
    }

    /** Replaces (or deletes, {@code value} null) the entry at {@code time} of the key in {@code slot}; false when it has none there. */
    private boolean replaceAt(final int slot, final byte[] k, final byte[] value, final long time) {
        if (slots[slot] instanceof byte[] single) { // the common case, without a wrapping array
            if (time(single) != time) {
                return false;
            }
            if (value != null) {
                final byte[] replaced = entry(k, value, time);
                budget.force(cost(replaced) - cost(single));
                addReserved(cost(replaced) - cost(single));
                slots[slot] = replaced;
            } else {
                giveBack(single);
                removeSlot(slot);
            }
            return true;
        }
        final byte[][] entries = (byte[][]) slots[slot];
        for (int i = 0; i < entries.length; i++) {
            if (time(entries[i]) != time) {
                continue;
            }
            final byte[] old = entries[i];
            if (value != null) {
                final byte[] replaced = entry(k, value, time);
                budget.force(cost(replaced) - cost(old));
                addReserved(cost(replaced) - cost(old));
                entries[i] = replaced; // the slot's own array
            } else {
                removeEntry(slot, entries, i);
            }
            return true;
        }
        return false;
    }

    /**
     * Adds an entry the key has not at {@code time} if the budget has room for it; false, and
     * nothing added, when it has not. {@code slot} is what {@link #find} said for the key.
     */
    private boolean addAt(final int slot, final byte[] k, final int h, final byte[] value, final long time) {
        final byte[][] entries = slot >= 0 ? entriesAt(slot) : null;
        // the entry, the array of the key's entries it joins, or the larger table a new key needs;
        // asked before the entry is made: with the budget full, every write goes to the store
        final long cost = cost(HEADER + k.length + value.length) + (entries != null ? arrayCost(entries.length + 1) - arrayCost(entries.length)
            : (keys + 1) * 2 > slots.length ? (long) SLOT_BYTES * slots.length : 0);
        if (!budget.tryReserve(cost)) {
            return false;
        }
        final byte[] added = entry(k, value, time);
        addReserved(cost);
        size++;
        if (entries != null) {
            final byte[][] more = new byte[entries.length + 1][];
            int at = 0;
            while (at < entries.length && time(entries[at]) < time) {
                at++;
            }
            System.arraycopy(entries, 0, more, 0, at);
            more[at] = added;
            System.arraycopy(entries, at, more, at + 1, entries.length - at);
            slots[slot] = more;
        } else {
            final int free = -slot - 1;
            slots[free] = added;
            hashes[free] = h;
            if (++keys * 2 > slots.length) {
                grow();
            }
        }
        final long bucketKey = Math.floorDiv(time, BUCKET_MS);
        if (bucketKey != lastBucketKey || lastBucket == null) {
            lastBucket = entriesByBucket.computeIfAbsent(bucketKey, b -> new Bucket());
            lastBucketKey = bucketKey;
            firstBucketKey = Math.min(firstBucketKey, bucketKey);
        }
        lastBucket.add(added, h);
        return true;
    }

    /** Whether the key has an entry at exactly {@code time} that counts. */
    boolean contains(final Bytes key, final long time) {
        if (!isLive(time)) {
            return false;
        }
        final int slot = find(key.get(), hash(key));
        if (slot < 0) {
            return false;
        }
        if (slots[slot] instanceof byte[] single) { // the common case, without a wrapping array
            return time(single) == time;
        }
        for (final byte[] e : (byte[][]) slots[slot]) {
            if (time(e) == time) {
                return true;
            }
        }
        return false;
    }

    /** The key's entries by time (live or not: the caller bounds them), each read with {@link #time} and {@link #value}. */
    byte[][] entries(final Bytes key) {
        final int slot = find(key.get(), hash(key));
        return slot < 0 ? NONE : entriesAt(slot);
    }

    static long time(final byte[] entry) {
        long t = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            t = (t << 8) | (entry[i] & 0xFF);
        }
        return t;
    }

    static byte[] value(final byte[] entry) {
        return Arrays.copyOfRange(entry, HEADER + keyLength(entry), entry.length);
    }

    /** Bytes taken from the budget; any thread may ask (the queue's heap gauge does, from the scrape). */
    long reservedBytes() {
        return (long) RESERVED_BYTES.getAcquire(this);
    }

    /**
     * The one writer's update of {@link #reservedBytes}, published with release semantics: a reader
     * on another thread sees a whole recent value, never half of one (a plain long may tear), and on
     * x86 the store costs what a plain one does, where a volatile one would fence every put.
     */
    private void addReserved(final long delta) {
        RESERVED_BYTES.setRelease(this, reservedBytes + delta);
    }

    /** Entries held. */
    int size() {
        return size;
    }

    /** Heap the array of a key's {@code n} entries takes; none for one entry, held in the slot itself. */
    private static long arrayCost(final int n) {
        return n < 2 ? 0 : (16L + 4L * n + 7) & ~7L;
    }

    /** Gives every entry's bytes back to the budget; the window is empty after. */
    void release() {
        budget.release(reservedBytes);
        RESERVED_BYTES.setRelease(this, 0L);
        size = 0;
        keys = 0;
        slots = new Object[INITIAL_SLOTS];
        hashes = new int[INITIAL_SLOTS];
        entriesByBucket.clear();
        lastBucket = null;
        firstBucketKey = Long.MAX_VALUE;
    }

    private static byte[] entry(final byte[] key, final byte[] value, final long time) {
        final byte[] e = new byte[HEADER + key.length + value.length];
        for (int i = 0; i < Long.BYTES; i++) {
            e[i] = (byte) (time >>> (56 - 8 * i));
        }
        e[8] = (byte) (key.length >>> 24);
        e[9] = (byte) (key.length >>> 16);
        e[10] = (byte) (key.length >>> 8);
        e[11] = (byte) key.length;
        System.arraycopy(key, 0, e, HEADER, key.length);
        System.arraycopy(value, 0, e, HEADER + key.length, value.length);
        return e;
    }

    private static int keyLength(final byte[] entry) {
        return ((entry[8] & 0xFF) << 24) | ((entry[9] & 0xFF) << 16) | ((entry[10] & 0xFF) << 8) | (entry[11] & 0xFF);
    }

    /** Heap an entry takes: its array (16-byte header, 8-byte aligned) and its share of the table and expiry list. */
    private static long cost(final byte[] entry) {
        return cost(entry.length);
    }

    /** Heap an entry of {@code length} bytes takes. */
    private static long cost(final int length) {
        return ((16L + length + 7) & ~7L) + ENTRY_OVERHEAD_BYTES;
    }

    private static int hash(final Bytes key) {
        final int h = key.hashCode(); // Bytes caches it
        return h ^ (h >>> 16);
    }

    private byte[][] entriesAt(final int slot) {
        final Object o = slots[slot];
        return o instanceof byte[] single ? new byte[][] {single} : (byte[][]) o;
    }

    /** Whether the slot holds the key in {@code source[from, from + length)} (a key, or an entry's key: expiry's). */
    private static boolean hasKey(final Object slot, final byte[] source, final int from, final int length) {
        final byte[] e = slot instanceof byte[] single ? single : ((byte[][]) slot)[0];
        return e == source || keyLength(e) == length && Arrays.equals(e, HEADER, HEADER + length, source, from, from + length);
    }

    /** The key's slot, or -(free slot) - 1 when it has none. */
    private int find(final byte[] key, final int h) {
        return find(key, 0, key.length, h);
    }

    /** The slot of the key in {@code source[from, from + length)}, which hashes to {@code h}, or -(free slot) - 1 when it has none. */
    private int find(final byte[] source, final int from, final int length, final int h) {
        final int mask = slots.length - 1;
        int i = h & mask;
        while (slots[i] != null) {
            if (hashes[i] == h && hasKey(slots[i], source, from, length)) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -i - 1;
    }

    private void removeEntry(final int slot, final byte[][] entries, final int i) {
        giveBack(entries[i]);
        final long fewerCost = arrayCost(entries.length) - arrayCost(entries.length - 1);
        budget.release(fewerCost);
        addReserved(-fewerCost);
        if (entries.length == 1) {
            removeSlot(slot);
        } else if (entries.length == 2) {
            slots[slot] = entries[1 - i];
        } else {
            final byte[][] fewer = new byte[entries.length - 1][];
            System.arraycopy(entries, 0, fewer, 0, i);
            System.arraycopy(entries, i + 1, fewer, i, entries.length - i - 1);
            slots[slot] = fewer;
        }
    }

    /** Empties a slot, moving later keys of its probe run back so every key stays reachable (linear probing). */
    private void removeSlot(final int slot) {
        final int mask = slots.length - 1;
        int gap = slot;
        int i = slot;
        while (true) {
            i = (i + 1) & mask;
            if (slots[i] == null) {
                break;
            }
            final int home = hashes[i] & mask;
            // move the key at i into the gap unless its home lies cyclically in (gap, i]
            final boolean homeAfterGap = gap <= i ? (home > gap && home <= i) : (home > gap || home <= i);
            if (!homeAfterGap) {
                slots[gap] = slots[i];
                hashes[gap] = hashes[i];
                gap = i;
            }
        }
        slots[gap] = null;
        keys--;
    }

    private void grow() {
        final Object[] oldSlots = slots;
        final int[] oldHashes = hashes;
        slots = new Object[oldSlots.length * 2];
        hashes = new int[oldSlots.length * 2];
        final int mask = slots.length - 1;
        for (int j = 0; j < oldSlots.length; j++) {
            if (oldSlots[j] != null) {
                int i = oldHashes[j] & mask;
                while (slots[i] != null) {
                    i = (i + 1) & mask;
                }
                slots[i] = oldSlots[j];
                hashes[i] = oldHashes[j];
            }
        }
    }

    private void giveBack(final byte[] entry) {
        final long cost = cost(entry);
        budget.release(cost);
        addReserved(-cost);
        size--;
    }

    /** Drops the entries at or below the retention bound, a whole bucket at a time. */
    private void expire() {
        final long bound = observedTime - retentionMs; // entries at or below it no longer count
        final Iterator<Map.Entry<Long, Bucket>> buckets = entriesByBucket.entrySet().iterator();
        while (buckets.hasNext()) {
            final Map.Entry<Long, Bucket> bucket = buckets.next();
            if ((bucket.getKey() + 1) * BUCKET_MS - 1 > bound) {
                firstBucketKey = bucket.getKey();
                return; // the bucket's latest time still counts
            }
            if (bucket.getValue() == lastBucket) {
                lastBucket = null;
            }
            final Bucket expired = bucket.getValue();
            for (int j = 0; j < expired.size; j++) {
                final byte[] written = expired.entries[j];
                // the entry may have been replaced (same key and time) or deleted since
                final int slot = find(written, HEADER, keyLength(written), expired.hashes[j]);
                if (slot < 0) {
                    continue;
                }
                final byte[][] entries = entriesAt(slot);
                final long time = time(written);
                for (int i = 0; i < entries.length; i++) {
                    if (time(entries[i]) == time) {
                        removeEntry(slot, entries, i);
                        break;
                    }
                }
            }
            buckets.remove();
        }
        firstBucketKey = Long.MAX_VALUE;
    }

    /** The entries written in one minute of event time, each with its key's hash (expiry finds them without hashing again). */
    private static final class Bucket {
        private byte[][] entries = new byte[8][];
        private int[] hashes = new int[8];
        private int size;

        void add(final byte[] entry, final int hash) {
            if (size == entries.length) {
                entries = Arrays.copyOf(entries, size * 2);
                hashes = Arrays.copyOf(hashes, size * 2);
            }
            entries[size] = entry;
            hashes[size] = hash;
            size++;
        }
    }
}
