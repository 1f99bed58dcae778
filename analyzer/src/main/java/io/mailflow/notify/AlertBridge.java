package io.mailflow.notify;

import io.mailflow.avro.ConnectorAlert;
import io.mailflow.config.Secrets;
import io.mailflow.serde.SchemaRegistryException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge from mailflow.alerts to Alertmanager. At start it reads the topic from the beginning
 * (it is small: a few records per episode) and rebuilds the latest state of every episode; then it
 * follows. It posts every active episode every resend interval, each active until now + 4 resend
 * intervals (Prometheus' rule, so Alertmanager resolves an alert by itself only when the bridge has
 * been gone for a while), and each new record as soon as it arrives.
 *
 * <p>What was delivered is the consumer group's committed offset: committed after each successful
 * post, so after a restart a resolution read below it is not posted again, and one above it (read
 * but not delivered when the bridge stopped) is. A group with no committed offset (the first
 * start) posts the active episodes and the resolutions of the last 4 resend intervals. When no
 * Alertmanager accepts a post, it is retried with exponential back-off (from 500 ms to the resend
 * interval) while records keep being read into the state: nothing is dropped, and the next
 * successful post carries the latest state of everything. A record that cannot be read is logged
 * with its position and counted, and skipped; one that cannot be decoded because the schema
 * registry is unavailable is read again after a pause.
 */
public final class AlertBridge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertBridge.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration REGISTRY_RETRY = Duration.ofSeconds(1);
    /** Prometheus sends endsAt = now + 4 × resend delay; Alertmanager keeps an alert alive that long. */
    static final int LIFETIME_RESENDS = 4;

    /** What the bridge reads and how it posts. */
    public record Options(String topic, String group, Duration resendInterval, AlertLinks links) {
    }

    private final Options options;
    private final AlertmanagerClient alertmanager;
    private final Deserializer<ConnectorAlert> values;
    private final Clock clock;
    private final KafkaConsumer<String, byte[]> consumer;
    private final AlertEpisodes episodes = new AlertEpisodes();
    private final Counter badRecords;
    private final MeterRegistry registry;
    private final AtomicInteger activeGauge = new AtomicInteger();
    private volatile boolean stopping;
    private volatile String health = "STARTING";

    public AlertBridge(final Map<String, Object> kafkaProperties, final Deserializer<ConnectorAlert> values,
                       final AlertmanagerClient alertmanager, final Options options, final MeterRegistry registry, final Clock clock) {
        this.options = options;
        this.alertmanager = alertmanager;
        this.values = values;
        this.clock = clock;
        this.registry = registry;
        final Map<String, Object> props = new HashMap<>(kafkaProperties);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, options.group());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.remove("application.id");
        props.remove("processing.guarantee");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.badRecords = Counter.builder("mailflow.notify.bad.records")
            .description("Records of the alerts topic that could not be read (logged and skipped)").register(registry);
        Gauge.builder("mailflow.notify.active.alerts", activeGauge, AtomicInteger::get)
            .description("Alert episodes firing, as last posted to Alertmanager").register(registry);
    }

    /**
     * For /health: STARTING, REBUILDING, then after the first post attempt RUNNING (with a note
     * while no Alertmanager accepts posts).
     */
    public String health() {
        return health;
    }

    /** Asks {@link #run} to return; safe from any thread (a shutdown hook). */
    public void stop() {
        stopping = true;
        consumer.wakeup();
    }

    /** Rebuilds, then follows and posts until {@link #stop}. */
    public void run() throws InterruptedException {
        try {
            final List<TopicPartition> partitions = awaitPartitions();
            if (partitions == null) {
                return;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> rebuildEnd = consumer.endOffsets(partitions);
            final Map<TopicPartition, Long> delivered = new HashMap<>();
            consumer.committed(new HashSet<>(partitions)).forEach((tp, offset) -> {
                if (offset != null) {
                    delivered.put(tp, offset.offset());
                }
            });
            final boolean firstStart = delivered.isEmpty();
            health = "REBUILDING";
            LOG.info("mailflow notify: rebuilding the alert episodes from {} (end offsets {}), group {} {}", options.topic(),
                rebuildEnd.values(), options.group(),
                firstStart ? "has no committed offsets (first start)" : "delivered up to " + delivered);
            boolean rebuilding = true;
            Instant nextRefresh = Instant.MIN;
            Instant nextAttempt = Instant.MIN;
            Duration backoff = FIRST_BACKOFF;
            while (!stopping) {
                readBatch(consumer.poll(POLL), delivered);
                if (rebuilding) {
                    if (!caughtUp(partitions, rebuildEnd)) {
                        continue;
                    }
                    rebuilding = false;
                    if (firstStart) {
                        episodes.forgetResolvedBefore(clock.instant().minus(lifetime()));
                    }
                    LOG.info("mailflow notify: rebuilt, {} episodes firing; posting to {}", episodes.active(), alertmanager.alertmanagers());
                }
                final Instant now = clock.instant();
                if ((episodes.hasUndelivered() || !now.isBefore(nextRefresh)) && !now.isBefore(nextAttempt)) {
                    if (post(now)) {
                        nextRefresh = now.plus(options.resendInterval());
                        nextAttempt = Instant.MIN;
                        backoff = FIRST_BACKOFF;
                        commit(partitions);
                    } else {
                        nextAttempt = now.plus(backoff);
                        LOG.warn("mailflow notify: no Alertmanager accepted the post; retrying in {} ms", backoff.toMillis());
                        backoff = min(backoff.multipliedBy(2), options.resendInterval());
                    }
                }
            }
        } catch (final WakeupException e) {
            if (!stopping) {
                throw e;
            }
        }
    }

    private Duration lifetime() {
        return options.resendInterval().multipliedBy(LIFETIME_RESENDS);
    }

    /** Waits for the topic to exist (the analyzer creates it); null when stopped meanwhile. */
    private List<TopicPartition> awaitPartitions() throws InterruptedException {
        boolean told = false;
        while (!stopping) {
            final List<PartitionInfo> infos = consumer.partitionsFor(options.topic(), Duration.ofSeconds(30));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            }
            if (!told) {
                LOG.warn("mailflow notify: topic {} does not exist yet; waiting for it", options.topic());
                told = true;
            }
            Thread.sleep(2_000);
        }
        return null;
    }

    /**
     * Applies a batch, partition by partition. When the registry cannot be reached, the partition
     * is read again from that record after a pause: a record that cannot be decoded for want of
     * its schema is not a bad record, and skipping it would lose an alert.
     */
    private void readBatch(final ConsumerRecords<String, byte[]> batch, final Map<TopicPartition, Long> delivered)
        throws InterruptedException {
        boolean registryDown = false;
        for (final TopicPartition tp : batch.partitions()) {
            for (final ConsumerRecord<String, byte[]> r : batch.records(tp)) {
                if (!read(r, delivered)) {
                    consumer.seek(tp, r.offset());
                    registryDown = true;
                    break;
                }
            }
        }
        if (registryDown) {
            Thread.sleep(REGISTRY_RETRY.toMillis());
        }
    }

    /** False when the record could not be decoded because the schema registry is unavailable (read it again later). */
    private boolean read(final ConsumerRecord<String, byte[]> r, final Map<TopicPartition, Long> delivered) {
        final Long committed = delivered.get(new TopicPartition(r.topic(), r.partition()));
        final ConnectorAlert alert;
        try {
            alert = r.value() == null ? null : values.deserialize(r.topic(), r.value());
        } catch (final RuntimeException e) {
            if (registryUnavailable(e)) {
                LOG.warn("mailflow notify: the schema registry is unavailable ({}); reading {}-{}@{} again in {} ms",
                    Secrets.maskUrls(e.getMessage()), r.topic(), r.partition(), r.offset(), REGISTRY_RETRY.toMillis());
                return false;
            }
            badRecords.increment();
            LOG.error("mailflow notify: skipping unreadable record {}-{}@{} (key {}): {}", r.topic(), r.partition(), r.offset(), r.key(),
                e.getMessage());
            return true;
        }
        if (alert == null || alert.getAlertId() == null) {
            badRecords.increment();
            LOG.error("mailflow notify: skipping record {}-{}@{} (key {}) without an alert", r.topic(), r.partition(), r.offset(), r.key());
            return true;
        }
        episodes.apply(alert, committed != null && r.offset() < committed);
        return true;
    }

    private static boolean registryUnavailable(final Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SchemaRegistryException registry) {
                return registry.isTransient();
            }
        }
        return false;
    }

    private boolean caughtUp(final List<TopicPartition> partitions, final Map<TopicPartition, Long> end) {
        for (final TopicPartition tp : partitions) {
            if (consumer.position(tp) < end.getOrDefault(tp, 0L)) {
                return false;
            }
        }
        return true;
    }

    /** One post of everything to every Alertmanager; true when at least one accepted it (they gossip in a cluster). */
    private boolean post(final Instant now) throws InterruptedException {
        final List<AlertmanagerAlert> alerts = episodes.toPost(options.links(), now.plus(lifetime()));
        if (alerts.isEmpty()) {
            episodes.delivered();
            activeGauge.set(0);
            health = "RUNNING";
            return true; // nothing firing: Prometheus posts nothing either
        }
        boolean accepted = false;
        final StringBuilder problems = new StringBuilder();
        for (final AlertmanagerClient.Outcome o : alertmanager.post(alerts)) {
            Counter.builder("mailflow.notify.posts").description("Posts to Alertmanager, by result")
                .tag("alertmanager", o.alertmanager()).tag("result", o.ok() ? "ok" : "failed").register(registry).increment();
            if (o.ok()) {
                accepted = true;
            } else {
                problems.append(problems.isEmpty() ? "" : "; ").append(o.alertmanager()).append(": ").append(o.problem());
            }
        }
        if (!problems.isEmpty()) {
            LOG.warn("mailflow notify: post of {} alerts failed on {}", alerts.size(), problems);
        }
        if (accepted) {
            for (final AlertmanagerAlert a : alerts) {
                Counter.builder("mailflow.notify.alerts").description("Alerts accepted by Alertmanager, firing or resolved")
                    .tag("status", a.endsAt().isAfter(now) ? "firing" : "resolved").register(registry).increment();
            }
            final boolean changes = episodes.hasUndelivered();
            episodes.delivered();
            activeGauge.set(episodes.active());
            if (changes) {
                LOG.info("mailflow notify: posted {} alerts ({} firing)", alerts.size(), episodes.active());
            }
            health = "RUNNING";
        } else {
            health = "RUNNING; no Alertmanager accepts posts: " + problems;
        }
        return accepted;
    }

    /** The delivered position: everything read so far has been posted. */
    private void commit(final List<TopicPartition> partitions) {
        final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (final TopicPartition tp : partitions) {
            offsets.put(tp, new OffsetAndMetadata(consumer.position(tp)));
        }
        try {
            consumer.commitSync(offsets, Duration.ofSeconds(10));
        } catch (final WakeupException e) {
            throw e;
        } catch (final RuntimeException e) {
            // posted but not recorded: after a restart a resolution may be posted twice, which Alertmanager ignores
            LOG.warn("mailflow notify: could not commit the delivered position: {}", e.getMessage());
        }
    }

    private static Duration min(final Duration a, final Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
        values.close();
    }
}
