package io.mailflow.queue;

import io.mailflow.avro.internal.MessageMemo;
import io.mailflow.avro.internal.RecipientOutcome;
import io.mailflow.config.QueueConfig;
import java.util.ArrayList;
import java.time.Duration;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * What queue tracking remembers about each message for a while: its arrival (the first RECEIVE)
 * and what became of its recipients (delivered, returned). One cached window store keyed by
 * message, one entry per message and minute of event time: a message's RECEIVE and deliveries,
 * usually seconds apart, reach the changelog as one record per commit rather than one per line,
 * and old entries leave with their segments (no deletes, no tombstones).
 *
 * <p>Reads look back from the asking record's own event time ({@code arrival-retention} for
 * arrivals, {@code reorder-tolerance} for outcomes), not from the store's stream time, so what is
 * remembered does not depend on which other messages share the partition. The store keeps a
 * reorder tolerance more than the longest look-back, for records that arrive late.
 *
 * <p>Reads are always bounded in time: a cached window store walks the cache segment by segment
 * over the requested range, so a fetch from time 0 would visit every segment id since 1970.
 */
final class MessageMemory {
    static final byte DELIVERED = 'D';
    static final byte PERMANENT_NDR = 'P';
    static final byte EXPIRED_NDR = 'E';

    /** Event time one entry covers. */
    static final long BUCKET_MS = Duration.ofMinutes(1).toMillis();
    /** Outcomes per entry: a message to thousands of recipients spreads over several entries of a minute, so no write re-encodes thousands. */
    static final int MAX_OUTCOMES_PER_ENTRY = 200;

    private final WindowStore<String, MessageMemo> store;
    private final long arrivalRetention;
    private final long reorderTolerance;
    private final long lookBack;

    MessageMemory(final WindowStore<String, MessageMemo> store, final QueueConfig config) {
        this.store = store;
        this.arrivalRetention = config.arrivalRetention().toMillis();
        this.reorderTolerance = config.reorderTolerance().toMillis();
        this.lookBack = lookBack(config);
    }

    /** How far back a read reaches from its record's time (plus one entry's width). */
    private static long lookBack(final QueueConfig config) {
        return Math.max(config.arrivalRetention().toMillis(), config.reorderTolerance().toMillis()) + BUCKET_MS;
    }

    /** The store's retention: the longest look-back plus a reorder tolerance for late records. */
    static Duration retention(final QueueConfig config) {
        return Duration.ofMillis(lookBack(config) + config.reorderTolerance().toMillis());
    }

    /** The message's arrival as remembered at {@code time}: its earliest RECEIVE within the arrival retention, or null. */
    Reports.ArrivalInfo arrival(final String messageKey, final long time) {
        Reports.ArrivalInfo first = null;
        try (WindowStoreIterator<MessageMemo> it = fetch(messageKey, time)) {
            while (it.hasNext()) {
                final MessageMemo m = it.next().value;
                final Long at = m.getArrivalTime();
                if (at != null && at >= time - arrivalRetention && (first == null || at < first.time())) {
                    first = new Reports.ArrivalInfo(at, m.getOriginalSender(), m.getSubject(), m.getMessageId());
                }
            }
        }
        return first;
    }

    /**
     * Notes the message's RECEIVE in the entry of its minute, unless that entry holds one already
     * (one RECEIVE line comes per recipient). Earlier entries are not searched: {@link #arrival}
     * takes the earliest, so a second server's later RECEIVE of the message changes nothing.
     */
    void rememberArrival(final String messageKey, final long time, final String originalSender, final String subject,
                         final String messageId) {
        final Entry e = writableEntry(messageKey, time);
        if (e.memo.getArrivalTime() != null) {
            return;
        }
        e.memo.setArrivalTime(time);
        e.memo.setOriginalSender(originalSender);
        e.memo.setSubject(subject);
        e.memo.setMessageId(messageId);
        store.put(messageKey, e.memo, e.timestamp);
    }

    /** Notes a recipient's delivery or return ({@link #DELIVERED}, {@link #PERMANENT_NDR}, {@link #EXPIRED_NDR}). */
    void rememberOutcome(final String messageKey, final String recipient, final byte outcome, final long time) {
        final Entry e = writableEntry(messageKey, time);
        e.memo.getOutcomes().add(new RecipientOutcome(recipient, (int) outcome, time));
        store.put(messageKey, e.memo, e.timestamp);
    }

    /**
     * A deferral is stale when the recipient was already returned to the sender, or delivered at
     * or after the deferral's time.
     */
    boolean isStale(final String messageKey, final String recipient, final long deferralTime) {
        try (WindowStoreIterator<MessageMemo> it = fetch(messageKey, deferralTime)) {
            while (it.hasNext()) {
                for (final RecipientOutcome o : it.next().value.getOutcomes()) {
                    if (isVisible(o, recipient, deferralTime) && (o.getOutcome() != DELIVERED || o.getTime() >= deferralTime)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Whether the recipient was already returned to the sender (an NDR went out), as remembered at {@code time}. */
    boolean isReturned(final String messageKey, final String recipient, final long time) {
        try (WindowStoreIterator<MessageMemo> it = fetch(messageKey, time)) {
            while (it.hasNext()) {
                for (final RecipientOutcome o : it.next().value.getOutcomes()) {
                    if (isVisible(o, recipient, time) && o.getOutcome() != DELIVERED) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private boolean isVisible(final RecipientOutcome o, final String recipient, final long time) {
        return o.getTime() >= time - reorderTolerance && o.getRecipient().equals(recipient);
    }

    private WindowStoreIterator<MessageMemo> fetch(final String messageKey, final long time) {
        return store.fetch(messageKey, Math.max(0, time - lookBack), Long.MAX_VALUE);
    }

    /** The entry of the record's minute with room for one more outcome, or a new one. */
    private Entry writableEntry(final String messageKey, final long time) {
        final long bucket = Math.floorDiv(time, BUCKET_MS) * BUCKET_MS;
        // entries of one minute are told apart by a millisecond offset (their window start)
        for (long slot = bucket; ; slot++) {
            final MessageMemo memo = store.fetch(messageKey, slot);
            if (memo == null) {
                return new Entry(slot, new MessageMemo(null, null, null, null, new ArrayList<>()));
            }
            if (memo.getOutcomes().size() < MAX_OUTCOMES_PER_ENTRY || slot == bucket + BUCKET_MS - 1) {
                return new Entry(slot, memo);
            }
        }
    }

    private record Entry(long timestamp, MessageMemo memo) {
    }
}
