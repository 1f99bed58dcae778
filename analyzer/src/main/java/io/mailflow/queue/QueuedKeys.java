package io.mailflow.queue;

import com.carrotsearch.hppc.LongIntHashMap;
import io.mailflow.ingest.TextHash;

/**
 * Which recipients are queued, as 64-bit hashes of their keys on the heap, so the delivery of a
 * recipient that never queued (nearly every delivery) costs no store read. Each hash is counted
 * once per queued key: two keys with the same hash count twice, and removing one leaves the other,
 * so {@link #mayBeQueued} is never false for a key in the store. A true answer only means "read
 * the store".
 *
 * <p>The queue tracker adds a key when it queues a new recipient and removes it when the
 * recipient leaves the store, and builds the set from the store when its task starts (after a
 * restore, or a rollback to the last commit). 16–32 bytes per queued recipient (an open-addressing
 * map of 12-byte slots, at most three quarters full; 25 MB at a million), where a store read cost
 * the stream threads some 0.6 µs per record in the benchmark (docs/benchmarks.md, "Seventeenth
 * session").
 */
final class QueuedKeys {
    private final LongIntHashMap counts = new LongIntHashMap();
    private int size;

    /** The recipient with this key was just put in the store, and was not there before. */
    void add(final String key) {
        counts.addTo(TextHash.of(key), 1);
        size++;
    }

    /** The recipient with this key, which was in the store, was just removed from it. */
    void remove(final String key) {
        final long h = TextHash.of(key);
        if (counts.addTo(h, -1) <= 0) {
            counts.remove(h);
        }
        size--;
    }

    /** False when the key is certainly not in the store. */
    boolean mayBeQueued(final String key) {
        return counts.containsKey(TextHash.of(key));
    }

    /** The number of keys added and not removed. */
    int size() {
        return size;
    }

    void clear() {
        counts.clear();
        size = 0;
    }
}
