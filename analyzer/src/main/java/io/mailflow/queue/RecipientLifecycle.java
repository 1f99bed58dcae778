package io.mailflow.queue;

import io.mailflow.avro.internal.QueuedRecipient;
import io.mailflow.config.QueueConfig;

/**
 * The life of one queued recipient on event time, as plain rules without Kafka. The
 * {@link QueueTracker} keeps the state in its stores and sends what these rules decide.
 *
 * <pre>
 * first deferral ─► QUEUED (clock from arrival) ─┬─ backlog-age (1 h) ───────► over backlog age (counted by the connector)
 *                                                ├─ delay-notice-after (4 h) ─► delay notice sent
 *                                                ├─ expire-after (24 h) ──────► EXPIRED: expiry NDR sent; remembered
 *                                                │                               one more expiry period + reorder tolerance
 *                                                └─ delivery, permanent failure, the MTA's own expiry ─► gone
 * </pre>
 *
 * <p>A recipient's state holds its flags and its next deadline: the earliest moment one of these
 * rules can change it. Everything due at a moment happens together, in the order above.
 */
final class RecipientLifecycle {
    static final int DELAY_NOTICE_SENT = 1;
    static final int OVER_BACKLOG_AGE = 2;
    static final int EXPIRY_NDR_SENT = 4;

    /**
     * What came due for a recipient at one moment; the recipient's flags and next deadline are
     * updated already. {@code delayNoticeAt} and {@code expiredAt} are the event times the notice
     * and the expiry NDR carry (null when not due now).
     */
    record Due(boolean forget, boolean crossedBacklogAge, Long delayNoticeAt, Long expiredAt) {
        static final Due FORGET = new Due(true, false, null, null);
    }

    private final boolean delayNotices;
    private final long delayAfter;
    private final long expireAfter;
    private final long backlogAge;
    private final long rememberExpiredFor;

    RecipientLifecycle(final QueueConfig config) {
        this.delayAfter = config.delayNoticeAfter().toMillis();
        this.expireAfter = config.expireAfter().toMillis();
        this.backlogAge = config.backlogAge().toMillis();
        // a notice due at or after the expiry would say "still trying" about a returned message
        this.delayNotices = config.delayNoticesEnabled() && delayAfter < expireAfter;
        // an MTA with a longer expiry (Exchange Server: 2 days) logs its own expiry later, and
        // that must not be a second NDR
        this.rememberExpiredFor = 2 * expireAfter + config.reorderTolerance().toMillis();
    }

    /** Everything due for the recipient at {@code now}; updates its flags and next deadline. */
    Due fire(final QueuedRecipient s, final long now) {
        if (has(s, EXPIRY_NDR_SENT)) {
            return Due.FORGET; // remembered long enough for the MTA's own expiry record
        }
        final long since = s.getQueuedSince();
        boolean crossed = false;
        Long noticeAt = null;
        Long expiredAt = null;
        if (!has(s, OVER_BACKLOG_AGE) && now >= since + backlogAge) {
            set(s, OVER_BACKLOG_AGE);
            crossed = true;
        }
        if (delayNoticeDue(s) && now >= since + delayAfter) {
            set(s, DELAY_NOTICE_SENT);
            noticeAt = since + delayAfter;
        }
        if (now >= since + expireAfter) {
            set(s, EXPIRY_NDR_SENT);
            expiredAt = since + expireAfter;
        }
        s.setNextDeadline(nextDeadline(s));
        return new Due(false, crossed, noticeAt, expiredAt);
    }

    /** The earliest moment a rule can change the recipient. */
    long nextDeadline(final QueuedRecipient s) {
        final long since = s.getQueuedSince();
        if (has(s, EXPIRY_NDR_SENT)) {
            return since + rememberExpiredFor;
        }
        long next = since + expireAfter;
        if (delayNoticeDue(s)) {
            next = Math.min(next, since + delayAfter);
        }
        if (!has(s, OVER_BACKLOG_AGE)) {
            next = Math.min(next, since + backlogAge);
        }
        return next;
    }

    /** The expiry NDR went out: the recipient is only remembered, no longer queued. */
    static boolean isExpired(final QueuedRecipient s) {
        return has(s, EXPIRY_NDR_SENT);
    }

    /** Whether the recipient counts among its connector's messages queued longer than the backlog age. */
    static boolean isOverBacklogAge(final QueuedRecipient s) {
        return has(s, OVER_BACKLOG_AGE);
    }

    private boolean delayNoticeDue(final QueuedRecipient s) {
        return delayNotices && !has(s, DELAY_NOTICE_SENT);
    }

    private static boolean has(final QueuedRecipient s, final int flag) {
        return (s.getFlags() & flag) != 0;
    }

    private static void set(final QueuedRecipient s, final int flag) {
        s.setFlags(s.getFlags() | flag);
    }
}
