package io.mailflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Queue tracking settings")
class QueueConfigTest {
    private static QueueConfig with(final String... pairs) {
        final MailflowConfig.Builder b = MailflowConfig.builder().defaults();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            b.override(pairs[i], pairs[i + 1]);
        }
        return QueueConfig.from(b.build());
    }

    @Test
    @DisplayName("defaults follow Exchange Online: 4 h delay notice, 24 h expiry, 1 h backlog age, safety net on")
    void defaults() {
        final QueueConfig c = with();
        assertEquals(Duration.ofHours(4), c.delayNoticeAfter());
        assertEquals(Duration.ofHours(24), c.expireAfter());
        assertEquals(Duration.ofHours(1), c.backlogAge());
        assertTrue(c.wallClockSafetyNet());
        assertEquals(Duration.ofMinutes(5), c.wallClockMaxLag());
        assertEquals("mailflow.local", c.reportingMta());
    }

    @Test
    @DisplayName("a bare 0 turns delay notices off; replays turn the safety net off")
    void switches() {
        assertFalse(with("mailflow.queue.delay-notice-after", "0").delayNoticesEnabled());
        assertFalse(with("mailflow.queue.wall-clock-safety-net", "off").wallClockSafetyNet());
        assertEquals(Duration.ofDays(2), with("mailflow.queue.expire-after", "2d").expireAfter());
    }

    @Test
    @DisplayName("settings that cannot work are refused with the key's name")
    void invalid() {
        final MailflowConfig.ConfigException e = assertThrows(MailflowConfig.ConfigException.class,
            () -> with("mailflow.queue.expire-after", "0"));
        assertTrue(e.getMessage().contains("mailflow.queue.expire-after"), e.getMessage());
        assertThrows(MailflowConfig.ConfigException.class, () -> with("mailflow.queue.max-deadlines-per-check", "0"));
    }
}
