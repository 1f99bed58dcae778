package io.mailflow.queue;

import io.mailflow.app.MailflowConfig;
import java.time.Duration;

/**
 * Settings of queue tracking, read from {@code mailflow.queue.*}.
 *
 * @param delayNoticeAfter       queued this long, a recipient gets one delay notice; zero disables notices
 *                               ({@code mailflow.queue.delay-notice-after}, default 4h as Exchange's DelayNotificationTimeout)
 * @param expireAfter            queued this long, a recipient expires and its sender gets an NDR
 *                               ({@code mailflow.queue.expire-after}, default 24h as Exchange Online; Exchange Server uses 2d)
 * @param backlogAge             queued longer than this, a recipient counts in {@code queuedOverAge}
 *                               ({@code mailflow.queue.backlog-age}, default 1h as the "messages have been delayed" alert)
 * @param reportingMta           Reporting-MTA when the trace does not name the server ({@code mailflow.reporting-mta})
 * @param wallClockSafetyNet     whether idle stream time is moved on by the wall clock ({@code mailflow.queue.wall-clock-safety-net},
 *                               default true; the replay command sets it false)
 * @param wallClockMaxLag        how long stream time may stand still (in wall-clock time) before the safety net moves it
 *                               ({@code mailflow.queue.wall-clock-safety-net.max-lag}, default 5m)
 * @param punctuationInterval    how often due deadlines are checked and changed connector snapshots are emitted
 *                               ({@code mailflow.queue.punctuation-interval}, default 30s, both stream and wall-clock time)
 * @param arrivalRetention       how long a RECEIVE time is remembered for a first deferral that has not come yet
 *                               ({@code mailflow.queue.arrival-retention}, default 2h)
 * @param reorderTolerance       how long a delivery or permanent failure is remembered, so an older deferral that arrives
 *                               after it does not queue the recipient again and a repeated failure gets no second NDR
 *                               ({@code mailflow.queue.reorder-tolerance}, default 1h)
 * @param maxDeadlinesPerCheck   due deadlines handled per check, so one punctuation stays well inside a transaction
 *                               ({@code mailflow.queue.max-deadlines-per-check}, default 5000)
 * @param maxDestinations        destinations kept per connector snapshot ({@code mailflow.queue.max-destinations}, default 10)
 */
public record QueueConfig(
    Duration delayNoticeAfter,
    Duration expireAfter,
    Duration backlogAge,
    String reportingMta,
    boolean wallClockSafetyNet,
    Duration wallClockMaxLag,
    Duration punctuationInterval,
    Duration arrivalRetention,
    Duration reorderTolerance,
    int maxDeadlinesPerCheck,
    int maxDestinations) {

    public static final String DELAY_NOTICE_AFTER = "mailflow.queue.delay-notice-after";
    public static final String EXPIRE_AFTER = "mailflow.queue.expire-after";
    public static final String BACKLOG_AGE = "mailflow.queue.backlog-age";
    public static final String REPORTING_MTA = "mailflow.reporting-mta";
    public static final String WALL_CLOCK_SAFETY_NET = "mailflow.queue.wall-clock-safety-net";
    public static final String WALL_CLOCK_MAX_LAG = "mailflow.queue.wall-clock-safety-net.max-lag";
    public static final String PUNCTUATION_INTERVAL = "mailflow.queue.punctuation-interval";
    public static final String ARRIVAL_RETENTION = "mailflow.queue.arrival-retention";
    public static final String REORDER_TOLERANCE = "mailflow.queue.reorder-tolerance";
    public static final String MAX_DEADLINES_PER_CHECK = "mailflow.queue.max-deadlines-per-check";
    public static final String MAX_DESTINATIONS = "mailflow.queue.max-destinations";

    public QueueConfig {
        requireNonNegative(DELAY_NOTICE_AFTER, delayNoticeAfter);
        requirePositive(EXPIRE_AFTER, expireAfter);
        requirePositive(BACKLOG_AGE, backlogAge);
        requirePositive(WALL_CLOCK_MAX_LAG, wallClockMaxLag);
        requirePositive(PUNCTUATION_INTERVAL, punctuationInterval);
        requirePositive(ARRIVAL_RETENTION, arrivalRetention);
        requirePositive(REORDER_TOLERANCE, reorderTolerance);
        if (maxDeadlinesPerCheck < 1 || maxDestinations < 1) {
            throw new MailflowConfig.ConfigException(MAX_DEADLINES_PER_CHECK + " and " + MAX_DESTINATIONS + " must be at least 1");
        }
        if (reportingMta == null || reportingMta.isBlank()) {
            throw new MailflowConfig.ConfigException("Missing required setting '" + REPORTING_MTA + "'");
        }
    }

    public static QueueConfig from(final MailflowConfig c) {
        return new QueueConfig(
            durationOrZero(c, DELAY_NOTICE_AFTER, Duration.ofHours(4)),
            c.getDuration(EXPIRE_AFTER, Duration.ofHours(24)),
            c.getDuration(BACKLOG_AGE, Duration.ofHours(1)),
            c.get(REPORTING_MTA, "mailflow.local"),
            c.getBoolean(WALL_CLOCK_SAFETY_NET, true),
            c.getDuration(WALL_CLOCK_MAX_LAG, Duration.ofMinutes(5)),
            c.getDuration(PUNCTUATION_INTERVAL, Duration.ofSeconds(30)),
            c.getDuration(ARRIVAL_RETENTION, Duration.ofHours(2)),
            c.getDuration(REORDER_TOLERANCE, Duration.ofHours(1)),
            c.getInt(MAX_DEADLINES_PER_CHECK, 5000),
            c.getInt(MAX_DESTINATIONS, 10));
    }

    public boolean delayNoticesEnabled() {
        return !delayNoticeAfter.isZero();
    }

    public QueueConfig withWallClockSafetyNet(final boolean enabled) {
        return new QueueConfig(delayNoticeAfter, expireAfter, backlogAge, reportingMta, enabled, wallClockMaxLag,
            punctuationInterval, arrivalRetention, reorderTolerance, maxDeadlinesPerCheck, maxDestinations);
    }

    /** Like {@link MailflowConfig#getDuration}, but a bare {@code 0} means zero (disabled). */
    private static Duration durationOrZero(final MailflowConfig c, final String key, final Duration fallback) {
        final String raw = c.get(key);
        if (raw != null && raw.trim().equals("0")) {
            return Duration.ZERO;
        }
        return c.getDuration(key, fallback);
    }

    private static void requirePositive(final String key, final Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new MailflowConfig.ConfigException("Setting '" + key + "' must be a positive duration, got " + d);
        }
    }

    private static void requireNonNegative(final String key, final Duration d) {
        if (d == null || d.isNegative()) {
            throw new MailflowConfig.ConfigException("Setting '" + key + "' must be zero or a positive duration, got " + d);
        }
    }
}
