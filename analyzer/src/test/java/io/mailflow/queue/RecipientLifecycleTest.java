package io.mailflow.queue;

import static java.time.Duration.ofHours;
import static java.time.Duration.ofMinutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.internal.QueuedRecipient;
import io.mailflow.config.MailflowConfig;
import io.mailflow.config.QueueConfig;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The queued recipient's rules on their own: plain objects, no Kafka. */
@DisplayName("A queued recipient's life (backlog age 1 h, delay notice 4 h, expiry 24 h by default)")
class RecipientLifecycleTest {
    private static final long SINCE = 1_000_000_000_000L;

    private static RecipientLifecycle lifecycle(final String... overrides) {
        final MailflowConfig.Builder b = MailflowConfig.builder().defaults();
        for (int i = 0; i + 1 < overrides.length; i += 2) {
            b.override(overrides[i], overrides[i + 1]);
        }
        return new RecipientLifecycle(QueueConfig.from(b.build()));
    }

    private static QueuedRecipient queued(final RecipientLifecycle lifecycle) {
        final QueuedRecipient s = QueuedRecipient.newBuilder().setRecipient("bob@contoso.example").setQueuedSince(SINCE)
            .setFirstDeferralTime(SINCE).setLastAttemptTime(SINCE).setAttempts(1).setFlags(0).setNextDeadline(0L).build();
        s.setNextDeadline(lifecycle.nextDeadline(s));
        return s;
    }

    private static long at(final Duration d) {
        return SINCE + d.toMillis();
    }

    @Test
    @DisplayName("deadlines come in order: backlog age, delay notice, expiry, then forgetting")
    void deadlinesInOrder() {
        final RecipientLifecycle rules = lifecycle();
        final QueuedRecipient s = queued(rules);
        assertEquals(at(ofHours(1)), s.getNextDeadline());

        final RecipientLifecycle.Due hour = rules.fire(s, at(ofHours(1)));
        assertTrue(hour.crossedBacklogAge());
        assertNull(hour.delayNoticeAt());
        assertEquals(at(ofHours(4)), s.getNextDeadline());

        final RecipientLifecycle.Due notice = rules.fire(s, at(ofHours(4)));
        assertFalse(notice.crossedBacklogAge(), "crossed once only");
        assertEquals(at(ofHours(4)), notice.delayNoticeAt());
        assertEquals(at(ofHours(24)), s.getNextDeadline());

        final RecipientLifecycle.Due expiry = rules.fire(s, at(ofHours(24)));
        assertNull(expiry.delayNoticeAt(), "the notice went out once");
        assertEquals(at(ofHours(24)), expiry.expiredAt());
        assertTrue(RecipientLifecycle.isExpired(s));
        // remembered for one more expiry period plus the reorder tolerance (1 h)
        assertEquals(at(ofHours(49)), s.getNextDeadline());
        assertTrue(rules.fire(s, at(ofHours(49))).forget());
    }

    @Test
    @DisplayName("a recipient first seen long after its arrival gets everything due at once, stamped with when each was due")
    void catchUpAtOnce() {
        final RecipientLifecycle rules = lifecycle();
        final QueuedRecipient s = queued(rules);
        final RecipientLifecycle.Due due = rules.fire(s, at(ofHours(30)));
        assertTrue(due.crossedBacklogAge());
        assertEquals(at(ofHours(4)), due.delayNoticeAt());
        assertEquals(at(ofHours(24)), due.expiredAt());
    }

    @Test
    @DisplayName("with delay notices off (delay-notice-after=0) there is no notice, and the expiry still comes")
    void noticesOff() {
        final RecipientLifecycle rules = lifecycle(QueueConfig.DELAY_NOTICE_AFTER, "0");
        final QueuedRecipient s = queued(rules);
        rules.fire(s, at(ofHours(1)));
        assertEquals(at(ofHours(24)), s.getNextDeadline());
        final RecipientLifecycle.Due due = rules.fire(s, at(ofHours(24)));
        assertNull(due.delayNoticeAt());
        assertEquals(at(ofHours(24)), due.expiredAt());
    }

    @Test
    @DisplayName("a delay notice due at or after the expiry is never sent: the NDR says it all")
    void noticeNotBeforeExpiry() {
        final RecipientLifecycle rules = lifecycle(QueueConfig.DELAY_NOTICE_AFTER, "6h", QueueConfig.EXPIRE_AFTER, "6h");
        final QueuedRecipient s = queued(rules);
        final RecipientLifecycle.Due due = rules.fire(s, at(ofHours(6)));
        assertNull(due.delayNoticeAt());
        assertEquals(at(ofHours(6)), due.expiredAt());
    }

    @Test
    @DisplayName("nothing is due before the next deadline")
    void nothingEarly() {
        final RecipientLifecycle rules = lifecycle();
        final QueuedRecipient s = queued(rules);
        final RecipientLifecycle.Due due = rules.fire(s, at(ofMinutes(59)));
        assertFalse(due.crossedBacklogAge());
        assertNull(due.delayNoticeAt());
        assertNull(due.expiredAt());
        assertEquals(at(ofHours(1)), s.getNextDeadline());
    }
}
