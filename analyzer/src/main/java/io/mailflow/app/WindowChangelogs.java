package io.mailflow.app;

import io.mailflow.detect.StatsPreAggregator;
import io.mailflow.queue.QueueTracker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The changelogs of the analyzer's window stores ({@code queue-arrivals}, {@code queue-outcomes},
 * {@code stats-partial-messages}) take the broker's append time as their records' timestamps.
 *
 * <p>Why: Kafka Streams creates a window store's changelog with {@code cleanup.policy=compact,delete}
 * and a time retention (the store's retention plus a day), and stamps each changelog record with
 * the record being processed: the event time of the trace. A replay of history (traces months
 * old) writes changelog records that are past that retention the moment they are written. The
 * broker's retention check deletes every segment that holds only such records: the first
 * transaction's records of each partition, which the commit marker after them (stamped with the
 * wall clock) rolls into a segment of their own (without append time, {@code WindowChangelogsIT}
 * finds 1 to 14 records per partition deleted). A store restored from the changelog afterwards (an instance killed, a task moved to
 * an instance without a standby) lacks those entries, and the analysis after it differs from the
 * one-pass replay: deploy/local/fault-check.sh saw one message counted twice in the first stats
 * window. Stamped at append time, the records live for the store's retention plus a day of wall
 * clock, whatever their event time; a restore reads each entry's time from its key, never from the
 * record's timestamp.
 */
final class WindowChangelogs {
    private static final Logger LOG = LoggerFactory.getLogger(WindowChangelogs.class);
    static final String APPEND_TIME = "LogAppendTime";
    /** Every window store of the topology: their changelogs are the ones with a time retention. */
    static final List<String> STORES = List.of(QueueTracker.ARRIVALS_STORE, QueueTracker.OUTCOMES_STORE, StatsPreAggregator.MESSAGES_STORE);

    private WindowChangelogs() {
    }

    /** {@code builder}, logged to a changelog stamped with the broker's append time. */
    static <K, V> StoreBuilder<WindowStore<K, V>> appendTimeLogged(final StoreBuilder<WindowStore<K, V>> builder) {
        if (!STORES.contains(builder.name())) {
            throw new IllegalArgumentException("not a window store of the topology: " + builder.name());
        }
        return builder.withLoggingEnabled(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, APPEND_TIME));
    }

    /**
     * Sets append time on the window-store changelogs of application {@code applicationId} that
     * exist with another timestamp type (created by a mailflow before 2026-12-03; Kafka Streams
     * never changes the configuration of a topic that exists). Not allowed to (no ALTER_CONFIGS
     * on the topics): a WARN with the command that does it. Returns the topics changed.
     */
    static List<String> align(final Admin admin, final String applicationId) throws InterruptedException {
        final List<String> changed = new ArrayList<>();
        try {
            final Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            for (final String store : STORES) {
                final String topic = applicationId + "-" + store + "-changelog";
                if (!existing.contains(topic)) {
                    continue; // Kafka Streams creates it with the topology's configuration
                }
                final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                final ConfigEntry type = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS)
                    .get(resource).get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
                if (type != null && APPEND_TIME.equals(type.value())) {
                    continue;
                }
                try {
                    admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                        new ConfigEntry(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, APPEND_TIME), AlterConfigOp.OpType.SET))))
                        .all().get(30, TimeUnit.SECONDS);
                    LOG.info("Changelog {} now takes the broker's append time as its records' timestamps (was {}): "
                        + "a replay of history no longer ages out of its retention the moment it is written", topic,
                        type == null ? "unknown" : type.value());
                    changed.add(topic);
                } catch (final ExecutionException e) {
                    LOG.warn("Could not set {}={} on changelog {} ({}). Until it is set, a store restored after a replay "
                            + "of history can lack entries. Run: kafka-configs.sh --bootstrap-server ... --alter --entity-type topics "
                            + "--entity-name {} --add-config {}={}", TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, APPEND_TIME, topic,
                        e.getCause(), topic, TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, APPEND_TIME);
                }
            }
        } catch (final ExecutionException | TimeoutException e) {
            LOG.warn("Could not check the timestamp type of the window-store changelogs of {}: {}", applicationId, e.toString());
        }
        return changed;
    }
}
