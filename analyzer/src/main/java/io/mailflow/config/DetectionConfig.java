package io.mailflow.config;

import io.mailflow.config.MailflowConfig.ConfigException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rules of connector health detection, all in event time. Keys live under
 * {@code mailflow.detect.*}; every default is stated here and in docs/detection.md.
 *
 * @param window         length of the tumbling stats windows ({@code window}, 5 min)
 * @param grace          how late a trace may arrive within its own input partition and still count
 *                       in its stats window ({@code grace}, 1 min)
 * @param partitionIdle  wall-clock time without a record after which a traces partition that is caught
 *                       up with its end offset reports itself idle and stops holding back the
 *                       connector-keyed stages until its next record ({@code partition-idle}, 60 s)
 * @param idleFlush      wall-clock idleness after which a pre-aggregation task sends its open partials
 *                       early (partials are additive, so this only adds messages); 0 turns it off
 *                       ({@code idle-flush}, 30 s)
 * @param heartbeat      stream-time interval of the heartbeats that keep connector-keyed tasks' stream
 *                       time moving; windows close and quiet episodes resolve at most this much
 *                       stream time late ({@code heartbeat}, 10 s)
 * @param quietPeriod    a gap without failures longer than this ends an episode ({@code quiet-period}, 30 min)
 * @param fireAfter      an episode fires once it has lasted this long, first to latest failure
 *                       ({@code fire-after}, 15 min)
 * @param minFailures    ... and counted at least this many failures ({@code min-failures}, 5)
 * @param updateInterval at most one UPDATED per this much event time while firing ({@code update-interval}, 5 min)
 * @param backlogThreshold recipients queued longer than the backlog age that fire QUEUE_BACKLOG
 *                       ({@code backlog-threshold}, 200)
 * @param backlogAge     the age the queue tracker counts as "over age" ({@code backlog-age}, 1 h; used in text)
 * @param maxDestinations bound of destination lists in stats and alerts ({@code max-destinations}, 10)
 * @param sourcePartitions partitions of the traces topic, whose heartbeats the connector-keyed stages
 *                       wait for ({@code source-partitions}; 0, the default, means the app looks the
 *                       count up at start; a test topology without a broker counts the partitions that reported)
 * @param connectorPartitions partitions of the connector stage's two repartition topics
 *                       ({@code connector-signals}, {@code stats-partials}), so its tasks and their
 *                       changelogs ({@code connector-partitions}, 1): its key is the connector, a
 *                       handful of keys, and its load the traces' failures and pre-aggregated counts
 */
public record DetectionConfig(
    Duration window,
    Duration grace,
    Duration partitionIdle,
    Duration idleFlush,
    Duration heartbeat,
    Duration quietPeriod,
    Duration fireAfter,
    int minFailures,
    Duration updateInterval,
    long backlogThreshold,
    Duration backlogAge,
    int maxDestinations,
    int sourcePartitions,
    int connectorPartitions) {

    public static final String PREFIX = "mailflow.detect.";

    public DetectionConfig {
        requirePositive("window", window);
        requireNotNegative("grace", grace);
        requirePositive("partition-idle", partitionIdle);
        requireNotNegative("idle-flush", idleFlush);
        requirePositive("heartbeat", heartbeat);
        requirePositive("quiet-period", quietPeriod);
        requireNotNegative("fire-after", fireAfter);
        requireNotNegative("update-interval", updateInterval);
        requirePositive("backlog-age", backlogAge);
        if (minFailures < 1) {
            throw new ConfigException("Setting '" + PREFIX + "min-failures' must be at least 1, got " + minFailures);
        }
        if (backlogThreshold < 1) {
            throw new ConfigException("Setting '" + PREFIX + "backlog-threshold' must be at least 1, got " + backlogThreshold);
        }
        if (maxDestinations < 1) {
            throw new ConfigException("Setting '" + PREFIX + "max-destinations' must be at least 1, got " + maxDestinations);
        }
        if (sourcePartitions < 0) {
            throw new ConfigException("Setting '" + PREFIX + "source-partitions' must not be negative, got " + sourcePartitions);
        }
        if (connectorPartitions < 1) {
            throw new ConfigException("Setting '" + PREFIX + "connector-partitions' must be at least 1, got " + connectorPartitions);
        }
    }

    public static DetectionConfig defaults() {
        return new DetectionConfig(Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ofSeconds(60), Duration.ofSeconds(30),
            Duration.ofSeconds(10), Duration.ofMinutes(30), Duration.ofMinutes(15), 5, Duration.ofMinutes(5), 200,
            QueueConfig.defaults().backlogAge(), 10, 0, 1);
    }

    /** The {@code mailflow.detect.*} defaults as settings, for {@link MailflowConfig#defaults()}. */
    public static Map<String, String> defaultSettings() {
        return defaults().settings();
    }

    /**
     * These rules as {@code mailflow.detect.*} settings that {@link #from} reads back to an equal
     * config. The backlog age is the queue tracker's setting and is listed by {@link QueueConfig}.
     */
    public Map<String, String> settings() {
        final Map<String, String> s = new LinkedHashMap<>();
        s.put(PREFIX + "window", Durations.format(window));
        s.put(PREFIX + "grace", Durations.format(grace));
        s.put(PREFIX + "partition-idle", Durations.format(partitionIdle));
        s.put(PREFIX + "idle-flush", Durations.format(idleFlush));
        s.put(PREFIX + "heartbeat", Durations.format(heartbeat));
        s.put(PREFIX + "quiet-period", Durations.format(quietPeriod));
        s.put(PREFIX + "fire-after", Durations.format(fireAfter));
        s.put(PREFIX + "min-failures", Integer.toString(minFailures));
        s.put(PREFIX + "update-interval", Durations.format(updateInterval));
        s.put(PREFIX + "backlog-threshold", Long.toString(backlogThreshold));
        s.put(PREFIX + "max-destinations", Integer.toString(maxDestinations));
        s.put(PREFIX + "source-partitions", Integer.toString(sourcePartitions));
        s.put(PREFIX + "connector-partitions", Integer.toString(connectorPartitions));
        return s;
    }

    public static DetectionConfig from(final MailflowConfig c) {
        final DetectionConfig d = defaults();
        return new DetectionConfig(
            c.getDuration(PREFIX + "window", d.window),
            c.getDuration(PREFIX + "grace", d.grace),
            c.getDuration(PREFIX + "partition-idle", d.partitionIdle),
            c.getDuration(PREFIX + "idle-flush", d.idleFlush),
            c.getDuration(PREFIX + "heartbeat", d.heartbeat),
            c.getDuration(PREFIX + "quiet-period", d.quietPeriod),
            c.getDuration(PREFIX + "fire-after", d.fireAfter),
            c.getInt(PREFIX + "min-failures", d.minFailures),
            c.getDuration(PREFIX + "update-interval", d.updateInterval),
            c.getLong(PREFIX + "backlog-threshold", d.backlogThreshold),
            // the queue tracker decides what "over age" means; we only name it in texts
            c.getDuration(QueueConfig.BACKLOG_AGE, d.backlogAge),
            c.getInt(PREFIX + "max-destinations", d.maxDestinations),
            c.getInt(PREFIX + "source-partitions", d.sourcePartitions),
            c.getInt(PREFIX + "connector-partitions", d.connectorPartitions));
    }

    private static void requirePositive(final String key, final Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new ConfigException("Setting '" + PREFIX + key + "' must be a positive duration, got " + d);
        }
    }

    private static void requireNotNegative(final String key, final Duration d) {
        if (d == null || d.isNegative()) {
            throw new ConfigException("Setting '" + PREFIX + key + "' must not be negative, got " + d);
        }
    }
}
