package io.mailflow.queue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Queued recipients ordered by their next deadline: keys are the big-endian deadline followed by
 * the recipient key, so RocksDB keeps them sorted by time and "what is due by now" is one range
 * scan that stops at the first entry in the future. Each queued recipient has exactly one entry
 * (its earliest pending deadline), so a check never walks recipients that are not due.
 */
final class DeadlineIndex {
    private static final byte[] PRESENT = new byte[0];
    /** What {@link #earliestUpTo} answers when no deadline is that early. */
    static final long NONE = Long.MAX_VALUE;
    /** How far past the clock {@link #refreshEarliest} looks for the next deadline: a minute of event time. */
    static final long LOOKAHEAD_MS = 60_000;

    /** A due entry: when, and which recipient. */
    record Due(long deadline, String recipientKey) {
    }

    private final KeyValueStore<Bytes, byte[]> store;
    /**
     * No entry has a deadline below this: every entry is added with a deadline after the clock
     * or is handled at once, so scans can seek past the deleted (tombstoned) head of the index.
     */
    private long scanFrom;
    /** Lower bound of the earliest deadline, so most records need no scan at all. */
    private long earliest = Long.MIN_VALUE;

    DeadlineIndex(final KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
    }

    void add(final long deadline, final String recipientKey) {
        store.put(key(deadline, recipientKey), PRESENT);
        earliest = Math.min(earliest, deadline);
        scanFrom = Math.min(scanFrom, deadline);
    }

    void remove(final long deadline, final String recipientKey) {
        store.put(key(deadline, recipientKey), null); // delete() would read the old value to return it
    }

    /** True when an entry may be due at {@code now} (cheap: no store access). */
    boolean mayBeDue(final long now) {
        return now >= earliest;
    }

    /**
     * The earliest deadline at or before {@code limit}, or {@link #NONE}: one scan bounded by
     * {@code limit}, none when the known lower bound is past it.
     */
    long earliestUpTo(final long limit) {
        if (limit < earliest) {
            return NONE;
        }
        try (KeyValueIterator<Bytes, byte[]> it = store.range(timeOnly(scanFrom), timeOnly(limit + 1))) {
            return it.hasNext() ? decode(it.next().key.get()).deadline() : NONE;
        }
    }

    /** Up to {@code limit} entries with deadline at or before {@code now}, oldest first. */
    List<Due> due(final long now, final int limit) {
        final List<Due> due = new ArrayList<>(Math.min(limit, 64));
        // the upper bound is the bare 8-byte time now+1: every real key is longer, so it sorts after
        // all keys of deadlines <= now and before all keys of deadlines > now
        try (KeyValueIterator<Bytes, byte[]> it = store.range(timeOnly(scanFrom), timeOnly(now + 1))) {
            while (it.hasNext() && due.size() < limit) {
                final KeyValue<Bytes, byte[]> entry = it.next();
                due.add(decode(entry.key.get()));
            }
        }
        if (!due.isEmpty()) {
            scanFrom = due.get(due.size() - 1).deadline();
        }
        return due;
    }

    /**
     * After a check: find the earliest entry left before {@code now + }{@link #LOOKAHEAD_MS}, so
     * records until then skip the index. The scan is bounded: a scan of a cached store copies every
     * cached key in its range first (Kafka's {@code NamedCache#keyRange}), and an open-ended one
     * copied the whole queue's deadlines after every check while an outage kept deadlines coming.
     * With nothing in the look-ahead, {@code now + LOOKAHEAD_MS} is a true lower bound all the same.
     */
    void refreshEarliest(final long now) {
        final long horizon = now + LOOKAHEAD_MS;
        try (KeyValueIterator<Bytes, byte[]> it = store.range(timeOnly(scanFrom), timeOnly(horizon))) {
            if (it.hasNext()) {
                final long first = decode(it.next().key.get()).deadline();
                earliest = first;
                scanFrom = Math.min(first, now + 1);
            } else {
                earliest = horizon;
                scanFrom = horizon;
            }
        }
    }

    static Bytes key(final long deadline, final String recipientKey) {
        final byte[] rk = recipientKey.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + rk.length).putLong(deadline).put(rk).array());
    }

    private static Bytes timeOnly(final long time) {
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES).putLong(Math.max(0, time)).array());
    }

    private static Due decode(final byte[] key) {
        final long deadline = ByteBuffer.wrap(key, 0, Long.BYTES).getLong();
        return new Due(deadline, new String(Arrays.copyOfRange(key, Long.BYTES, key.length), StandardCharsets.UTF_8));
    }
}
