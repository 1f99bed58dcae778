package io.mailflow.queue;

import io.mailflow.avro.internal.MessageArrival;
import io.mailflow.state.LoggedWindow;
import java.time.Duration;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * What queue tracking remembers about messages for a while, in two window stores whose old
 * segments are dropped (a TTL with no cleanup work): each message's earliest RECEIVE
 * ({@code queue-arrivals}, for {@code arrival-retention}), so a later first deferral starts the
 * recipient's clock at arrival; and each recipient's delivery or return ({@code queue-outcomes},
 * for {@code reorder-tolerance}), so a late deferral of a delivered recipient, or a second report
 * of a returned one, is recognised.
 *
 * <p>Both are written blind (no read before a write, except a point lookup for an arrival), held
 * on the heap as far as the instance's budget allows and in the RocksDB stores beyond
 * ({@link LoggedWindow}); their changelogs are batches written once per commit ({@code queue-arrivals-log},
 * {@code queue-outcomes-log}: {@link io.mailflow.state.BatchChangelog}). A cached per-message entry holding both (one changelog record per message
 * instead of one per line) halved the changelog records but cost a read-modify-write per
 * delivery and filled the thread's record cache, which then flushed the small hot caches on
 * every put: live alert latency went from 0.5 s to 5.6 s (p50) in the benchmark
 * (docs/benchmarks.md).
 */
final class MessageMemory {
    static final byte DELIVERED = 'D';
    static final byte PERMANENT_NDR = 'P';
    static final byte EXPIRED_NDR = 'E';

    private final LoggedWindow<String, MessageArrival> arrivals;
    private final LoggedWindow<String, byte[]> outcomes;
    private final long arrivalRetentionMs;
    /**
     * The message whose arrival the store was last seen to hold, and that arrival's time. A
     * message's RECEIVE lines (one per recipient) follow each other; this spares all but the
     * first a store read. Held per task object, which starts over at every init.
     */
    private String lastArrivalKey;
    private long lastArrivalTime;

    MessageMemory(final LoggedWindow<String, MessageArrival> arrivals, final LoggedWindow<String, byte[]> outcomes,
                  final Duration arrivalRetention) {
        this.arrivals = arrivals;
        this.outcomes = outcomes;
        this.arrivalRetentionMs = arrivalRetention.toMillis();
    }

    /** Heap the two windows hold, as their budget counts it. */
    long heapBytes() {
        return arrivals.heapBytes() + outcomes.heapBytes();
    }

    /** Gives the heap the two windows hold back to their budget. */
    void release() {
        arrivals.release();
        outcomes.release();
    }

    /** The message's remembered arrival (its earliest RECEIVE still within the retention), or null. */
    Reports.ArrivalInfo arrival(final String messageKey) {
        try (WindowStoreIterator<MessageArrival> it = arrivals.fetch(messageKey, 0L, Long.MAX_VALUE)) {
            if (!it.hasNext()) {
                return null;
            }
            final KeyValue<Long, MessageArrival> first = it.next();
            return new Reports.ArrivalInfo(first.key, first.value.getOriginalSender(), first.value.getSubject(),
                first.value.getMessageId());
        }
    }

    /**
     * Notes the message's RECEIVE, unless one at or before its time is remembered: one RECEIVE line
     * comes per recipient (and per server the message passes), the store sees one write per
     * message and time. {@link #arrival} answers the earliest, whichever order they came in.
     *
     * @param now the task's stream time, at least every time the store was written at
     */
    void rememberArrival(final String messageKey, final long time, final long now, final String originalSender,
                         final String subject, final String messageId) {
        // the store answers for an entry while its time is above its own stream time (the latest
        // time written, at most now) less the retention: an entry above now less the retention is
        // certainly still there
        if (messageKey.equals(lastArrivalKey) && lastArrivalTime <= time && lastArrivalTime > now - arrivalRetentionMs) {
            return;
        }
        // the RECEIVE lines of one message usually share their time: a point lookup (a bloom
        // filter for most new messages) finds what the first of them wrote. No scan of the
        // message's other times: a second entry at a later time costs less than an iterator over
        // the segments for every new message, and arrival() takes the earliest anyway
        arrivals.putIfAbsent(messageKey, time, () -> MessageArrival.newBuilder().setOriginalSender(originalSender)
            .setSubject(subject).setMessageId(messageId).build());
        remembered(messageKey, time);
    }

    private void remembered(final String messageKey, final long time) {
        lastArrivalKey = messageKey;
        lastArrivalTime = time;
    }

    /** Notes a recipient's delivery or return ({@link #DELIVERED}, {@link #PERMANENT_NDR}, {@link #EXPIRED_NDR}). */
    void rememberOutcome(final String recipientKey, final byte outcome, final long time) {
        outcomes.put(recipientKey, new byte[] {outcome}, time);
    }

    /**
     * A deferral is stale when the recipient was already returned to the sender, or delivered at
     * or after the deferral's time (one store read for both).
     */
    boolean isStale(final String recipientKey, final long deferralTime) {
        try (WindowStoreIterator<byte[]> it = outcomes.fetch(recipientKey, 0L, Long.MAX_VALUE)) {
            while (it.hasNext()) {
                final KeyValue<Long, byte[]> outcome = it.next();
                final byte[] v = outcome.value;
                if (v == null || v.length != 1) {
                    continue;
                }
                if (v[0] != DELIVERED || outcome.key >= deferralTime) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the recipient was already returned to the sender (an NDR went out) within the reorder tolerance. */
    boolean isReturned(final String recipientKey) {
        try (WindowStoreIterator<byte[]> it = outcomes.fetch(recipientKey, 0L, Long.MAX_VALUE)) {
            while (it.hasNext()) {
                final byte[] v = it.next().value;
                if (v != null && v.length == 1 && v[0] != DELIVERED) {
                    return true;
                }
            }
        }
        return false;
    }
}
