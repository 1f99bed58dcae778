package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.MessageTrace;
import io.mailflow.config.MailflowConfig;
import io.mailflow.config.QueueConfig;
import io.mailflow.detect.TestTraces;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.MessageKeys;
import io.mailflow.queue.QueueTracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue's window stores keep 12-hour segments, and state laid out otherwise is restored rather than half lost. */
@DisplayName("Window store segments: 12 hours each, and state written in other segments is restored from the changelogs")
class WindowSegmentsTest {
    private static final long HOUR = Duration.ofHours(1).toMillis();

    @Test
    @DisplayName("30 hours of traffic leave the arrivals and outcomes in segments on the 12-hour grid, which the start-up check keeps")
    void realStoresUseTwelveHourSegments(@TempDir final Path stateDir) throws IOException {
        final MailflowConfig config = MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://segments-" + UUID.randomUUID())
            // no heap for the message memory: every entry goes to the RocksDB segments looked at here
            .override(QueueConfig.MESSAGE_MEMORY_MAX_BYTES, "0").build();
        final Topics topics = new Topics(config);
        try (TopologyTestDriver driver = new TopologyTestDriver(MailflowTopology.build(config),
            MailflowTopologyTest.driverProperties(config, stateDir), TestTraces.T0)) {
            final TestInputTopic<String, MessageTrace> traces = driver.createInputTopic(topics.traces.name(),
                Serdes.String().serializer(), topics.traces.valueSerde().serializer());
            for (int h = 0; h <= 30; h++) {
                final Instant at = TestTraces.T0.plus(Duration.ofHours(h));
                for (final MessageTrace t : List.of(MailflowTopologyTest.receive("<m" + h + "@x>", at),
                    TestTraces.delivery("Outbound to Contoso", at.plusSeconds(5), "<m" + h + "@x>"))) {
                    traces.pipeInput(new TestRecord<>(MessageKeys.of(t), t, t.getEventTime()));
                }
            }
            // while the driver is open: it deletes its state directory on close
            final Path appDir = stateDir.resolve(config.require(StreamsConfig.APPLICATION_ID_CONFIG));
            for (final String store : List.of(QueueTracker.ARRIVALS_STORE, QueueTracker.OUTCOMES_STORE)) {
                final List<Long> starts = segmentStarts(appDir.resolve("0_0").resolve(store), store);
                assertFalse(starts.isEmpty(), store + " has segments on disk");
                for (final long start : starts) {
                    assertEquals(0, start % (12 * HOUR), store + " segment starting at " + start + " is on the 12-hour grid");
                }
            }
            assertEquals(List.of(), WindowSegments.deleteTasksWithOtherLayout(appDir));
            assertTrue(Files.isDirectory(appDir.resolve("0_0").resolve(QueueTracker.ARRIVALS_STORE)));
        }
    }

    @Test
    @DisplayName("a task whose outcomes are in 30-minute segments (an older mailflow) is deleted whole; other tasks stay")
    void stateInOtherSegmentsIsDeletedForARestore(@TempDir final Path appDir) throws IOException {
        final long day = 20_000 * 24 * HOUR;
        // Kafka's default for a 1 h retention: 30-minute segments; one of them off the 12 h grid
        segment(appDir.resolve("0_0"), QueueTracker.OUTCOMES_STORE, day);
        segment(appDir.resolve("0_0"), QueueTracker.OUTCOMES_STORE, day + HOUR / 2);
        Files.writeString(appDir.resolve("0_0").resolve(".checkpoint"), "0\n0\n");
        // this layout's segments, a store this check does not cover, a position file
        segment(appDir.resolve("0_1"), QueueTracker.ARRIVALS_STORE, day + 12 * HOUR);
        Files.writeString(appDir.resolve("0_1").resolve(QueueTracker.ARRIVALS_STORE).resolve(QueueTracker.ARRIVALS_STORE + ".position"), "");
        segment(appDir.resolve("1_0"), "stats-windows", day + HOUR);

        assertEquals(List.of(appDir.resolve("0_0")), WindowSegments.deleteTasksWithOtherLayout(appDir));
        assertFalse(Files.exists(appDir.resolve("0_0")), "the task with the checkpoint goes, so every store of it is restored");
        assertTrue(Files.isDirectory(appDir.resolve("0_1").resolve(QueueTracker.ARRIVALS_STORE)));
        assertTrue(Files.isDirectory(appDir.resolve("1_0").resolve("stats-windows")));
    }

    @Test
    @DisplayName("no state directory yet: nothing to check")
    void noStateYet(@TempDir final Path root) {
        assertEquals(List.of(), WindowSegments.deleteTasksWithOtherLayout(root.resolve("mailflow")));
    }

    private static void segment(final Path task, final String store, final long start) throws IOException {
        Files.createDirectories(task.resolve(store).resolve(store + "." + start));
    }

    private static List<Long> segmentStarts(final Path storeDir, final String store) throws IOException {
        try (Stream<Path> files = Files.list(storeDir)) {
            return files.map(p -> p.getFileName().toString())
                .filter(n -> n.startsWith(store + ".") && n.substring(store.length() + 1).chars().allMatch(Character::isDigit))
                .map(n -> Long.parseLong(n.substring(store.length() + 1))).sorted().toList();
        }
    }
}
