package io.mailflow.ingest;

import io.mailflow.avro.internal.PendingRecipient;
import io.mailflow.avro.internal.PostfixQueueEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The Postfix queue context in a state store (key {@code host/queueId}), so the raw-lines
 * processor continues a message's context after a restart or on another instance. The parser
 * mutates the entries it gets; {@link #endLine} writes back those the line changed (and, at most
 * once per {@code refreshEvery}, those it only read, to keep their last-seen time fresh).
 *
 * <p>Bound: an entry leaves when Postfix logs {@code removed}; one that never does (lines lost,
 * logging turned off) leaves through {@link #expire} once it has not been seen for the retention,
 * which should exceed Postfix's {@code maximal_queue_lifetime} (5 days by default).
 */
final class StoredPostfixQueue implements PostfixQueueContext {
    private final KeyValueStore<String, PostfixQueueEntry> store;
    private final long refreshEveryMs;
    /** The entries the current line asked for, with what the store held (null: created by this line). */
    private final Map<String, Touched> touched = new HashMap<>();

    private record Touched(PostfixQueue.Entry entry, PostfixQueueEntry stored) {
    }

    StoredPostfixQueue(final KeyValueStore<String, PostfixQueueEntry> store, final long refreshEveryMs) {
        this.store = store;
        this.refreshEveryMs = refreshEveryMs;
    }

    @Override
    public PostfixQueue.Entry get(final String key) {
        final Touched known = touched.get(key);
        if (known != null) {
            return known.entry();
        }
        final PostfixQueueEntry stored = store.get(key);
        if (stored == null) {
            return null;
        }
        final PostfixQueue.Entry entry = toEntry(stored);
        touched.put(key, new Touched(entry, stored));
        return entry;
    }

    @Override
    public PostfixQueue.Entry getOrCreate(final String key) {
        final PostfixQueue.Entry found = get(key);
        if (found != null) {
            return found;
        }
        final PostfixQueue.Entry created = new PostfixQueue.Entry();
        touched.put(key, new Touched(created, null));
        return created;
    }

    @Override
    public void remove(final String key) {
        touched.remove(key);
        store.put(key, null); // delete() would read and deserialize the old entry to return it
    }

    /** Forgets what an unfinished line touched (call before each line). */
    void beginLine() {
        touched.clear();
    }

    /** Writes back what the line changed; {@code now} is the raw record's time, the entries' last-seen time. */
    void endLine(final long now) {
        for (final Map.Entry<String, Touched> t : touched.entrySet()) {
            final PostfixQueueEntry before = t.getValue().stored();
            if (before != null && now - before.getLastSeen() < refreshEveryMs
                    && toStored(t.getValue().entry(), before.getLastSeen()).equals(before)) {
                continue; // read only, and seen recently: no write
            }
            store.put(t.getKey(), toStored(t.getValue().entry(), now));
        }
        touched.clear();
    }

    /** Deletes the entries last seen before {@code cutoff}; returns how many. */
    int expire(final long cutoff) {
        final List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, PostfixQueueEntry> all = store.all()) {
            while (all.hasNext()) {
                final KeyValue<String, PostfixQueueEntry> kv = all.next();
                if (kv.value.getLastSeen() < cutoff) {
                    old.add(kv.key);
                }
            }
        }
        old.forEach(store::delete);
        return old.size();
    }

    static PostfixQueue.Entry toEntry(final PostfixQueueEntry stored) {
        final PostfixQueue.Entry e = new PostfixQueue.Entry();
        e.messageId = stored.getMessageId();
        e.sender = stored.getSender();
        e.size = stored.getSize();
        e.clientHost = stored.getClientHost();
        e.clientIp = stored.getClientIp();
        final Long nanos = stored.getArrivalEpochNanos();
        e.arrival = nanos == null ? null : Instant.ofEpochSecond(0, nanos);
        for (final PendingRecipient p : stored.getPending()) {
            e.pending.put(p.getRecipient(), p.getConnectorId());
        }
        return e;
    }

    static PostfixQueueEntry toStored(final PostfixQueue.Entry e, final long lastSeen) {
        final List<PendingRecipient> pending = new ArrayList<>(e.pending.size());
        e.pending.forEach((recipient, connector) -> pending.add(new PendingRecipient(recipient, connector)));
        return PostfixQueueEntry.newBuilder()
                .setMessageId(e.messageId)
                .setSender(e.sender)
                .setSize(e.size)
                .setClientHost(e.clientHost)
                .setClientIp(e.clientIp)
                .setArrivalEpochNanos(e.arrival == null ? null
                        : Math.addExact(Math.multiplyExact(e.arrival.getEpochSecond(), 1_000_000_000L), e.arrival.getNano()))
                .setPending(pending)
                .setLastSeen(lastSeen)
                .build();
    }
}
