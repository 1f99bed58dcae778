package io.mailflow.emit;

import io.mailflow.config.MailflowConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates mailflow's topics when they are missing, with explicit partitions and configs, and
 * verifies the ones that exist. The application never relies on broker auto-creation: a topic
 * created by accident with one partition would silently cap the app's parallelism.
 */
public final class TopicAdmin {
    private static final long TIMEOUT_SECONDS = 30;

    /** What a topic should look like. Replication factor -1 means "the broker's default". */
    public record TopicSpec(String name, int partitions, short replicationFactor, Map<String, String> configs) {
    }

    /** What {@link #ensure} found or did for one topic. */
    public record TopicStatus(String name, String action, int partitions, String note) {
    }

    private TopicAdmin() {
    }

    public static List<TopicSpec> specs(final MailflowConfig config) {
        final int partitions = config.getInt("mailflow.topic.partitions", 6);
        final short rf = (short) config.getInt("mailflow.topic.replication-factor", -1);
        final String retention = retentionMs(config.get("mailflow.topic.retention", "P7D"), config);
        final Map<String, String> common = new LinkedHashMap<>(Map.of("cleanup.policy", "delete", "retention.ms", retention,
            "message.timestamp.type", "CreateTime"));
        final Map<String, String> compacted = new LinkedHashMap<>(Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0"));
        final int minInsync = config.getInt("mailflow.topic.min-insync-replicas", -1);
        if (minInsync > 0) {
            common.put("min.insync.replicas", Integer.toString(minInsync));
            compacted.put("min.insync.replicas", Integer.toString(minInsync));
        }
        final List<TopicSpec> specs = new ArrayList<>();
        // raw lines as traces: the shippers' lines become traces, one topic each side of the parse
        for (final String key : List.of("traces", "alerts", "ndr", "delays", "connector-stats", "raw-lines")) {
            specs.add(new TopicSpec(config.require("mailflow.topic." + key), partitions, rf, common));
        }
        // Dead letters are kept longer: someone has to look at them.
        final Map<String, String> deadLetterConfigs = new LinkedHashMap<>(common);
        if (!"-1".equals(retention)) {
            deadLetterConfigs.put("retention.ms", String.valueOf(Math.max(Long.parseLong(retention), Duration.ofDays(30).toMillis())));
        }
        specs.add(new TopicSpec(config.require("mailflow.topic.dead-letters"), Math.min(partitions, 3), rf, deadLetterConfigs));
        // One record per shipper, the latest wins: compacted, never deleted by time (a shipper
        // quiet for a week must still find its place), one partition (a few records in all).
        specs.add(new TopicSpec(config.require("mailflow.topic.ship-positions"), 1, rf, compacted));
        return specs;
    }

    /**
     * Retention in ms, or -1 for "keep forever". Retention runs on record timestamps, which are
     * event times: traces replayed from logs older than the retention are deleted by the broker
     * soon after they are written. Replays of old logs need "infinite" (the embedded runtime sets it).
     */
    static String retentionMs(final String value, final MailflowConfig config) {
        final String v = value.trim();
        if (v.equals("-1") || v.equalsIgnoreCase("infinite") || v.equalsIgnoreCase("forever")) {
            return "-1";
        }
        return String.valueOf(config.getDuration("mailflow.topic.retention", Duration.ofDays(7)).toMillis());
    }

    /**
     * The topic's effective retention.ms as the broker reports it; null when it keeps records
     * forever, or when the broker does not say (then nothing is known to be deleted).
     */
    public static Duration retention(final Admin admin, final String topic) {
        final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            final ConfigEntry entry = admin.describeConfigs(List.of(resource)).all()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(resource).get("retention.ms");
            if (entry == null || entry.value() == null || Long.parseLong(entry.value()) < 0) {
                return null;
            }
            return Duration.ofMillis(Long.parseLong(entry.value()));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (final ExecutionException | TimeoutException | NumberFormatException e) {
            return null;
        }
    }

    /**
     * The topics' descriptions. On a cluster of several brokers a topic just created may be
     * listed by one broker before another (the one asked next) has learned of it: that answer,
     * "does not host this topic-partition", is asked again until {@link #TIMEOUT_SECONDS}.
     */
    private static Map<String, TopicDescription> describe(final Admin admin, final List<String> topics)
        throws InterruptedException, ExecutionException, TimeoutException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (true) {
            try {
                return admin.describeTopics(topics).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
                    || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    /** Creates the missing topics (unless verifyOnly) and reports on every topic. */
    public static List<TopicStatus> ensure(final Admin admin, final List<TopicSpec> specs, final boolean verifyOnly) {
        try {
            final Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            final List<TopicStatus> report = new ArrayList<>();
            final List<NewTopic> toCreate = new ArrayList<>();
            for (final TopicSpec spec : specs) {
                if (existing.contains(spec.name())) {
                    continue;
                }
                if (verifyOnly) {
                    report.add(new TopicStatus(spec.name(), "missing", 0, "create it with `mailflow topics --create`"));
                } else {
                    toCreate.add(new NewTopic(spec.name(), Optional.of(spec.partitions()),
                        spec.replicationFactor() < 0 ? Optional.empty() : Optional.of(spec.replicationFactor()))
                        .configs(spec.configs()));
                }
            }
            for (final NewTopic topic : toCreate) {
                try {
                    admin.createTopics(List.of(topic)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    report.add(new TopicStatus(topic.name(), "created", topic.numPartitions(), ""));
                } catch (final ExecutionException e) {
                    if (e.getCause() instanceof org.apache.kafka.common.errors.TopicAuthorizationException
                        || e.getCause() instanceof org.apache.kafka.common.errors.ClusterAuthorizationException) {
                        // listTopics shows only the topics the principal may Describe: an existing one looks missing
                        throw new org.apache.kafka.common.errors.TopicAuthorizationException("not authorized to see or create topic "
                            + topic.name() + " (a topic without Describe permission looks missing; creating it needs Create)",
                            Set.of(topic.name()));
                    }
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            final List<String> present = specs.stream().map(TopicSpec::name).filter(existing::contains).toList();
            if (!present.isEmpty()) {
                final Map<String, TopicDescription> descriptions = describe(admin, present);
                for (final TopicSpec spec : specs) {
                    final TopicDescription d = descriptions.get(spec.name());
                    if (d != null) {
                        final int actual = d.partitions().size();
                        final String note = actual == spec.partitions() ? ""
                            : "has " + actual + " partitions, configured " + spec.partitions() + " (kept as is)";
                        report.add(new TopicStatus(spec.name(), "exists", actual, note));
                    }
                }
            }
            return report;
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.AuthorizationException denied) {
                throw denied;
            }
            throw new IllegalStateException("Cannot create or verify topics: " + e.getCause().getMessage(), e.getCause());
        } catch (final TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer within " + TIMEOUT_SECONDS + " s while creating topics", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics", e);
        }
    }
}
