package io.mailflow.config;

import io.mailflow.config.MailflowConfig.ConfigException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

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
 * @param punctuationInterval    the event-time grid of connector snapshots and how often the wall clock checks deadlines
 *                               ({@code mailflow.queue.punctuation-interval}, default 30s; records check them as they come)
 * @param arrivalRetention       how long a RECEIVE time is remembered for a first deferral that has not come yet
 *                               ({@code mailflow.queue.arrival-retention}, default 2h)
 * @param reorderTolerance       how long a delivery or permanent failure is remembered, so an older deferral that arrives
 *                               after it does not queue the recipient again and a repeated failure gets no second NDR
 *                               ({@code mailflow.queue.reorder-tolerance}, default 1h)
 * @param maxDeadlinesPerCheck   due deadlines handled per check, so one punctuation stays well inside a transaction
 *                               ({@code mailflow.queue.max-deadlines-per-check}, default 5000)
 * @param maxDestinations        destinations kept per connector snapshot ({@code mailflow.queue.max-destinations}, default 10)
 * @param grace                  how far behind the latest event time deadlines are judged, so a record that arrives up to this
 *                               late within its partition (servers' clocks, concurrent log writers) still counts before a
 *                               deadline it precedes: no expiry or delay notice for a recipient whose delivery was merely late
 *                               ({@code mailflow.queue.grace}, default 1m; reports keep the deadline as their time)
 * @param messageMemoryMaxBytes  heap the remembered arrivals and outcomes of all of an instance's tasks may take; beyond it
 *                               they are kept in RocksDB, slower, with the same answers
 *                               ({@code mailflow.queue.message-memory-max-bytes}, default 80 MiB; 0 keeps them all in RocksDB)
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
    int maxDestinations,
    Duration grace,
    long messageMemoryMaxBytes) {

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
    public static final String GRACE = "mailflow.queue.grace";
    public static final String MESSAGE_MEMORY_MAX_BYTES = "mailflow.queue.message-memory-max-bytes";

    public QueueConfig {
        requireNonNegative(DELAY_NOTICE_AFTER, delayNoticeAfter);
        requireNonNegative(GRACE, grace);
        requirePositive(EXPIRE_AFTER, expireAfter);
        requirePositive(BACKLOG_AGE, backlogAge);
        requirePositive(WALL_CLOCK_MAX_LAG, wallClockMaxLag);
        requirePositive(PUNCTUATION_INTERVAL, punctuationInterval);
        requirePositive(ARRIVAL_RETENTION, arrivalRetention);
        requirePositive(REORDER_TOLERANCE, reorderTolerance);
        if (messageMemoryMaxBytes < 0) {
            throw new MailflowConfig.ConfigException(MESSAGE_MEMORY_MAX_BYTES + " cannot be negative");
        }
        if (maxDeadlinesPerCheck < 1 || maxDestinations < 1) {
            throw new MailflowConfig.ConfigException(MAX_DEADLINES_PER_CHECK + " and " + MAX_DESTINATIONS + " must be at least 1");
        }
        if (reportingMta == null || reportingMta.isBlank()) {
            throw new MailflowConfig.ConfigException("Missing required setting '" + REPORTING_MTA + "'");
        }
    }

    /** The defaults stated above; {@link MailflowConfig#defaults()} lists them through {@link #defaultSettings()}. */
    public static QueueConfig defaults() {
        return new QueueConfig(Duration.ofHours(4), Duration.ofHours(24), Duration.ofHours(1), "mailflow.local", true,
            Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofHours(2), Duration.ofHours(1), 5000, 10, Duration.ofMinutes(1),
            80L << 20);
    }

    public static QueueConfig from(final MailflowConfig c) {
        final QueueConfig d = defaults();
        return new QueueConfig(
            durationOrZero(c, DELAY_NOTICE_AFTER, d.delayNoticeAfter),
            c.getDuration(EXPIRE_AFTER, d.expireAfter),
            c.getDuration(BACKLOG_AGE, d.backlogAge),
            c.get(REPORTING_MTA, d.reportingMta),
            c.getBoolean(WALL_CLOCK_SAFETY_NET, d.wallClockSafetyNet),
            c.getDuration(WALL_CLOCK_MAX_LAG, d.wallClockMaxLag),
            c.getDuration(PUNCTUATION_INTERVAL, d.punctuationInterval),
            c.getDuration(ARRIVAL_RETENTION, d.arrivalRetention),
            c.getDuration(REORDER_TOLERANCE, d.reorderTolerance),
            c.getInt(MAX_DEADLINES_PER_CHECK, d.maxDeadlinesPerCheck),
            c.getInt(MAX_DESTINATIONS, d.maxDestinations),
            durationOrZero(c, GRACE, d.grace),
            c.getLong(MESSAGE_MEMORY_MAX_BYTES, d.messageMemoryMaxBytes));
    }

    /** The {@code mailflow.queue.*} and {@code mailflow.reporting-mta} defaults as settings, for {@link MailflowConfig#defaults()}. */
    public static Map<String, String> defaultSettings() {
        return defaults().settings();
    }

    /** These settings under their keys, in the form {@link #from} reads back to an equal config. */
    public Map<String, String> settings() {
        final Map<String, String> s = new LinkedHashMap<>();
        s.put(DELAY_NOTICE_AFTER, delayNoticesEnabled() ? Durations.format(delayNoticeAfter) : "0");
        s.put(EXPIRE_AFTER, Durations.format(expireAfter));
        s.put(BACKLOG_AGE, Durations.format(backlogAge));
        s.put(REPORTING_MTA, reportingMta);
        s.put(WALL_CLOCK_SAFETY_NET, Boolean.toString(wallClockSafetyNet));
        s.put(WALL_CLOCK_MAX_LAG, Durations.format(wallClockMaxLag));
        s.put(PUNCTUATION_INTERVAL, Durations.format(punctuationInterval));
        s.put(ARRIVAL_RETENTION, Durations.format(arrivalRetention));
        s.put(REORDER_TOLERANCE, Durations.format(reorderTolerance));
        s.put(MAX_DEADLINES_PER_CHECK, Integer.toString(maxDeadlinesPerCheck));
        s.put(MAX_DESTINATIONS, Integer.toString(maxDestinations));
        s.put(GRACE, grace.isZero() ? "0" : Durations.format(grace));
        s.put(MESSAGE_MEMORY_MAX_BYTES, Long.toString(messageMemoryMaxBytes));
        return s;
    }

    public boolean delayNoticesEnabled() {
        return !delayNoticeAfter.isZero();
    }

    public QueueConfig withWallClockSafetyNet(final boolean enabled) {
        return new QueueConfig(delayNoticeAfter, expireAfter, backlogAge, reportingMta, enabled, wallClockMaxLag,
            punctuationInterval, arrivalRetention, reorderTolerance, maxDeadlinesPerCheck, maxDestinations, grace,
            messageMemoryMaxBytes);
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
