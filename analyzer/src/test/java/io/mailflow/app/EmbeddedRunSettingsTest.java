package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The settings that keep a healthy embedded run from logging ERRORs (docs/architecture.md, "Log lines you may see"). */
@DisplayName("Embedded runs: nothing pipelined behind a refused produce request, the broker waits out a commit, CPU stalls are not faults, no wait on empty changelogs")
class EmbeddedRunSettingsTest {
    @Test
    @DisplayName("the analyzer's producer sends one request at a time per connection, unless the user chose otherwise")
    void oneProduceRequestInFlight() {
        final MailflowConfig defaults = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults().build());
        assertEquals("1", defaults.get(EmbeddedRuntime.PRODUCER_IN_FLIGHT));
        assertEquals("1", StreamsSettings.streamsProperties(defaults).get("producer.max.in.flight.requests.per.connection"));

        final MailflowConfig prefixed = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults()
            .override(EmbeddedRuntime.PRODUCER_IN_FLIGHT, "5").build());
        assertEquals("5", prefixed.get(EmbeddedRuntime.PRODUCER_IN_FLIGHT));
        final MailflowConfig plain = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults()
            .override("max.in.flight.requests.per.connection", "3").build());
        assertNull(plain.get(EmbeddedRuntime.PRODUCER_IN_FLIGHT), "the user's setting for every client applies unchanged");
    }

    @Test
    @DisplayName("an embedded run has a partition and a stream thread per core, up to 2, unless the user chose its partitions or threads")
    void aPartitionAndAThreadPerCore() {
        final String cores = Integer.toString(Math.min(2, Runtime.getRuntime().availableProcessors()));
        final MailflowConfig defaults = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults().build());
        assertEquals(cores, defaults.get("mailflow.topic.partitions"));
        assertEquals(cores, StreamsSettings.streamsProperties(defaults).get("num.stream.threads"));

        final MailflowConfig onePartition = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults()
            .override("mailflow.topic.partitions", "1").build());
        assertEquals("1", StreamsSettings.streamsProperties(onePartition).get("num.stream.threads"),
            "no thread without a partition of its own");
        final MailflowConfig threeThreads = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults()
            .override("num.stream.threads", "3").build());
        assertEquals("3", StreamsSettings.streamsProperties(threeThreads).get("num.stream.threads"));
        assertEquals(cores, threeThreads.get("mailflow.topic.partitions"));
    }

    @Test
    @DisplayName("a fresh embedded run restores its empty changelogs without waiting 500 ms per round, unless the user chose a fetch wait")
    void restoreFetchesDoNotWaitOutEmptyChangelogs() {
        final MailflowConfig defaults = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults().build());
        assertEquals("10", StreamsSettings.streamsProperties(defaults).get(EmbeddedRuntime.RESTORE_FETCH_WAIT));

        final MailflowConfig prefixed = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults()
            .override(EmbeddedRuntime.RESTORE_FETCH_WAIT, "200").build());
        assertEquals("200", StreamsSettings.streamsProperties(prefixed).get(EmbeddedRuntime.RESTORE_FETCH_WAIT));
        final MailflowConfig plain = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults()
            .override("fetch.max.wait.ms", "300").build());
        assertNull(plain.get(EmbeddedRuntime.RESTORE_FETCH_WAIT), "the user's setting for every consumer applies unchanged");
    }

    @Test
    @DisplayName("the embedded broker retries CONCURRENT_TRANSACTIONS for up to 5 s, below the producer's 30 s request timeout")
    void brokerWaitsOutACommit() {
        assertEquals("5000", EmbeddedKafka.brokerProperties(Path.of("/tmp/x"), 1, 2).getProperty("add.partitions.to.txn.retry.backoff.max.ms"));
    }

    @Test
    @DisplayName("a controller event is reported as exceptionally slow only past the broker's session timeout (9 s), not past 2 s")
    void controllerStallsBelowTheSessionTimeoutAreNotErrors() {
        assertEquals("9000", EmbeddedKafka.brokerProperties(Path.of("/tmp/x"), 1, 2)
            .getProperty("controller.performance.always.log.threshold.ms"));
    }
}
