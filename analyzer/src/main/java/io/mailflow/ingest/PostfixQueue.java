package io.mailflow.ingest;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What earlier lines told us about each queued message (Message-ID, sender, size, client), keyed
 * by host and queue id. Bounded: an entry leaves on "removed", and the least recently used entry
 * leaves when the cap is reached, so a huge log cannot exhaust memory. Replay's context; the
 * raw-lines processor keeps the same entries in a state store ({@link StoredPostfixQueue}).
 */
final class PostfixQueue implements PostfixQueueContext {
    /** Recipients remembered per message while deferred, for the expiry records. */
    static final int MAX_PENDING_RECIPIENTS = 1000;

    static final class Entry {
        String messageId;
        String sender;
        Long size;
        String clientHost;
        String clientIp;
        /** When the message entered the queue, from a delivery line's delay= (the queue-expiry line has none). */
        Instant arrival;
        /** Deferred recipients not yet delivered or bounced, with the connector of the last attempt. */
        final Map<String, String> pending = new LinkedHashMap<>();
    }

    private final int capacity;
    private long evicted;
    private final LinkedHashMap<String, Entry> entries;

    PostfixQueue(final int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(1024, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, PostfixQueue.Entry> eldest) {
                if (size() > PostfixQueue.this.capacity) {
                    evicted++;
                    return true;
                }
                return false;
            }
        };
    }

    @Override
    public Entry get(final String key) {
        return entries.get(key);
    }

    @Override
    public Entry getOrCreate(final String key) {
        return entries.computeIfAbsent(key, k -> new Entry());
    }

    @Override
    public void remove(final String key) {
        entries.remove(key);
    }

    int size() {
        return entries.size();
    }

    long evicted() {
        return evicted;
    }

    static void addPending(final Entry e, final String recipient, final String connector) {
        if (e.pending.size() < MAX_PENDING_RECIPIENTS || e.pending.containsKey(recipient)) {
            e.pending.put(recipient, connector);
        }
    }
}
