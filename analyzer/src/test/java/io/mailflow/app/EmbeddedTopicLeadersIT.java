package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The embedded runtime creates its topics and waits until the broker leads their partitions
 * before anything produces. The broker's metadata names a new topic a moment after createTopics
 * returns, and the admin client's ListOffsets fails at once on a topic it does not name: a CI run
 * of 2eb2975 failed an embedded replay so ("did not take up the new topics' partitions").
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Embedded start-up: waiting for the new topics' leaders survives a broker whose metadata lags")
class EmbeddedTopicLeadersIT {
    private Path dir;
    private EmbeddedKafka kafka;
    private Admin admin;

    @BeforeAll
    void broker() throws java.io.IOException {
        dir = Files.createTempDirectory("embedded-topic-leaders-it-");
        kafka = EmbeddedKafka.start(0, dir.resolve("kafka"), Map.of());
        admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
    }

    @AfterAll
    void stop() {
        admin.close();
        kafka.close();
        EmbeddedKafka.deleteRecursively(dir);
    }

    @Test
    @DisplayName("topics the broker does not know yet: the wait returns once it leads all their partitions")
    void waitsForTopicsTheMetadataDoesNotNameYet() throws Exception {
        final CompletableFuture<Void> createdLater = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(500);
                admin.createTopics(List.of(new NewTopic("late-a", 3, (short) 1), new NewTopic("late-b", 2, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        });
        final long t0 = System.nanoTime();
        EmbeddedRuntime.awaitLeaders(admin, Map.of("late-a", 3, "late-b", 2), Duration.ofSeconds(30));
        final long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        createdLater.get(30, TimeUnit.SECONDS);
        assertTrue(waitedMs >= 400, "it waited for the topics to appear: " + waitedMs + " ms");
        assertEquals(3, admin.describeTopics(List.of("late-a")).allTopicNames().get().get("late-a").partitions().size());
    }

    @Test
    @DisplayName("a topic that never comes: a clear error after the timeout, not a hang")
    void aTopicThatNeverComesFailsAfterTheTimeout() {
        final IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> EmbeddedRuntime.awaitLeaders(admin, Map.of("never-created", 1), Duration.ofSeconds(2)));
        assertTrue(e.getMessage().contains("did not take up the new topics' partitions within 2 s"), e.getMessage());
    }
}
