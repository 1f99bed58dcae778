package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.config.MailflowConfig;
import io.mailflow.detect.StatsPreAggregator;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.queue.QueueTracker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A replay of history into a cluster: the window stores' changelogs (their batch logs,
 * {@link io.mailflow.state.BatchChangelog}) must still hold every entry after the broker's
 * retention checks, or a store restored from them (an instance killed, a task moved) lacks
 * entries and the analysis differs from the one-pass replay. A changelog with a time retention
 * deletes months-old history the moment it is written (Kafka Streams stamps changelog records
 * with the event time); the batch logs are compacted key-value changelogs without one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WindowLogsIT {
    private static final String APP = "window-logs-it";
    private static final List<String> LOGS = List.of(QueueTracker.ARRIVALS_LOG_STORE, QueueTracker.OUTCOMES_LOG_STORE,
        StatsPreAggregator.MESSAGES_LOG_STORE);
    private Path dir;
    private EmbeddedKafka kafka;
    private Admin admin;

    @BeforeAll
    void broker() throws java.io.IOException {
        dir = Files.createTempDirectory("window-logs-it-");
        // the retention check every half second instead of every 5 minutes: what a long run does
        // sooner or later happens within the test
        kafka = EmbeddedKafka.start(0, dir.resolve("kafka"), Map.of("log.retention.check.interval.ms", "500",
            "log.initial.task.delay.ms", "0"));
        admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
    }

    @AfterAll
    void stop() {
        admin.close();
        kafka.close();
        EmbeddedKafka.deleteRecursively(dir);
    }

    @Test
    @DisplayName("a replay of months-old logs: the broker's retention deletes nothing from the window stores' batch logs")
    void historyStaysInTheWindowLogs() throws Exception {
        final Path logs = ClusterInstances.generate(Files.createDirectories(dir.resolve("logs")), "generate", "--seed", "5",
            "--duration", "30m", "--format", "exchange", "--servers", "EX01");
        final MailflowConfig config = MailflowConfig.builder().defaults()
            .override("bootstrap.servers", kafka.bootstrapServers())
            .override("schema.registry.url", "mock://" + APP)
            .override("application.id", APP)
            .override("state.dir", dir.resolve("state").toString())
            .override("mailflow.topic.partitions", "2")
            .override("mailflow.topic.retention", "infinite")
            .build();
        final Topics topics = new Topics(config);
        TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
        final Analyzer analyzer = new Analyzer(config);
        try {
            analyzer.start(); // Kafka Streams creates its internal topics, as on any cluster
            assertTrue(analyzer.awaitRunning(Duration.ofMinutes(2)), "the analyzer runs");
            KafkaReplay.replay(config, topics, List.of(logs), ReplayOptions.defaults());
            awaitAnalysed(Duration.ofMinutes(3));
        } finally {
            analyzer.close(Duration.ofSeconds(30));
        }
        Thread.sleep(3_000); // six more retention checks

        final Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (final String store : LOGS) {
            for (int p = 0; p < 2; p++) {
                earliest.put(new TopicPartition(changelog(store), p), OffsetSpec.earliest());
                latest.put(new TopicPartition(changelog(store), p), OffsetSpec.latest());
            }
        }
        final Map<TopicPartition, Long> starts = offsets(earliest);
        final Map<TopicPartition, Long> ends = offsets(latest);
        System.out.printf("WindowLogsIT: changelog start offsets %s, end offsets %s%n", starts, ends);
        for (final String store : LOGS) {
            assertTrue(ends.get(new TopicPartition(changelog(store), 0)) + ends.get(new TopicPartition(changelog(store), 1)) > 0,
                store + " was written: " + ends);
        }
        starts.forEach((tp, start) -> assertEquals(0L, start, tp + " still starts at its first record: " + starts));
    }

    private static String changelog(final String store) {
        return APP + "-" + store + "-changelog";
    }

    /** Until the application has processed every trace and repartitioned record: `mailflow lag --wait`, as check-lib.sh waits. */
    private void awaitAnalysed(final Duration timeout) {
        assertEquals(ExitCodes.OK, Mailflow.execute("lag", "-b", kafka.bootstrapServers(), "--application-id", APP, "--wait",
            "--timeout", timeout.toSeconds() + "s"), "the analyzer caught up within " + timeout);
    }

    private Map<TopicPartition, Long> offsets(final Map<TopicPartition, OffsetSpec> specs) throws Exception {
        final Map<TopicPartition, Long> out = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
        admin.listOffsets(specs, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS)
            .forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }
}
