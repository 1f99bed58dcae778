package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamsSettingsTest {
    private static final String GLOBAL_HANDLER = "processing.exception.handler.global.enabled";

    @TempDir
    Path stateDir;

    @Test
    void globalProcessingExceptionHandlingIsOnInTheStreamsConfig() {
        final StreamsConfig streams = new StreamsConfig(StreamsSettings.streamsProperties(config()));
        assertTrue(streams.getBoolean(GLOBAL_HANDLER));
    }

    /**
     * Kafka Streams 4.4 builds a second StreamsConfig from the main consumer's configs for its
     * partition assignor, and warns there too when the flag is missing: the consumer configs drop
     * every Streams key, so only a {@code main.consumer.} copy of the flag reaches it.
     */
    @Test
    void startingTheAppDoesNotWarnThatGlobalExceptionHandlingIsOff() {
        final List<String> warnings = new CopyOnWriteArrayList<>();
        final Logger streamsConfigLog = (Logger) LogManager.getLogger(StreamsConfig.class);
        final AbstractAppender capture = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(final LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
                    warnings.add(event.getMessage().getFormattedMessage());
                }
            }
        };
        capture.start();
        streamsConfigLog.addAppender(capture);
        try {
            final Properties props = StreamsSettings.streamsProperties(config());
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            final StreamsBuilder builder = new StreamsBuilder();
            builder.stream("in", Consumed.as("source")).to("out", Produced.as("sink"));
            // the constructor creates the stream thread and its main consumer, which configures the assignor
            try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
                assertEquals(KafkaStreams.State.CREATED, streams.state());
            }
        } finally {
            streamsConfigLog.removeAppender(capture);
            capture.stop();
        }
        assertTrue(warnings.stream().noneMatch(w -> w.contains("GlobalThread")), () -> "warnings: " + warnings);
    }

    private static MailflowConfig config() {
        return MailflowConfig.builder().defaults()
            .override("bootstrap.servers", "localhost:1")
            .override("schema.registry.url", "mock://streams-settings-test")
            .build();
    }

    @Test
    void anInstanceLeavesItsGroupOnCloseUnlessItIsAStaticMember() {
        final MailflowConfig plain = MailflowConfig.builder().defaults().override("schema.registry.url", "mock://close-test").build();
        assertTrue(!Analyzer.staticMember(StreamsSettings.streamsProperties(plain)), "a plain `run` is a dynamic member: it leaves");
        // what the StatefulSet sets through MAILFLOW_KAFKA_GROUP_INSTANCE_ID
        final MailflowConfig pod = MailflowConfig.builder().defaults().override("schema.registry.url", "mock://close-test")
            .override("group.instance.id", "mailflow-0").build();
        assertTrue(Analyzer.staticMember(StreamsSettings.streamsProperties(pod)), "a pod with group.instance.id stays for its restart");
    }

    /**
     * The two per-loop checks mailflow turns off (docs/benchmarks.md, issue 14) are off only where
     * they have nothing to do: the early commit on uncommitted bytes stays when a user turns
     * transactional state stores on (only those stores hold uncommitted bytes), and a user's own
     * value of either setting wins.
     */
    @Test
    void perLoopChecksWithNothingToCheckAreOffUnlessTheUserWantsThem() {
        final StreamsConfig defaults = new StreamsConfig(StreamsSettings.streamsProperties(config()));
        assertEquals(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED, defaults.getLong(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG));
        assertTrue(defaults.getLong(StreamsConfig.STATESTORE_UNCOMMITTED_MAX_BYTES_CONFIG) < 0, "no early commit for 0 uncommitted bytes");

        final StreamsConfig transactional = new StreamsConfig(StreamsSettings.streamsProperties(MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://streams-settings-test")
            .override(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG, "true").build()));
        assertEquals(64L * 1024 * 1024, transactional.getLong(StreamsConfig.STATESTORE_UNCOMMITTED_MAX_BYTES_CONFIG),
            "transactional stores keep Kafka's early commit");

        final StreamsConfig userSet = new StreamsConfig(StreamsSettings.streamsProperties(MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://streams-settings-test")
            .override(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "500")
            .override(StreamsConfig.STATESTORE_UNCOMMITTED_MAX_BYTES_CONFIG, "1048576").build()));
        assertEquals(500L, userSet.getLong(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG));
        assertEquals(1048576L, userSet.getLong(StreamsConfig.STATESTORE_UNCOMMITTED_MAX_BYTES_CONFIG));
    }

    /**
     * Throughput defaults (docs/benchmarks.md, "Tenth cut"): a commit a second, not Kafka's 100 ms,
     * and 128 KB batches for the stream threads' producers, not 16 KB; a user's values win.
     */
    @Test
    void commitsOnceASecondWithLargeProducerBatchesUnlessTheUserSaysOtherwise() {
        final StreamsConfig defaults = new StreamsConfig(StreamsSettings.streamsProperties(config()));
        assertEquals(1000L, defaults.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
        assertEquals(String.valueOf(128 * 1024), String.valueOf(defaults.getProducerConfigs("mailflow-client").get(ProducerConfig.BATCH_SIZE_CONFIG)));

        final StreamsConfig userSet = new StreamsConfig(StreamsSettings.streamsProperties(MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://streams-settings-test")
            .override(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100")
            .override(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), "16384").build()));
        assertEquals(100L, userSet.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
        assertEquals("16384", String.valueOf(userSet.getProducerConfigs("mailflow-client").get(ProducerConfig.BATCH_SIZE_CONFIG)));
    }

    /**
     * A stream thread per core, so a run uses every core it has (docs/benchmarks.md, "Eleventh
     * cut"), but none beyond the traces topic's partitions, where a thread would idle; a user's
     * value wins.
     */
    @Test
    void aStreamThreadPerCoreUpToThePartitionsUnlessTheUserSaysOtherwise() {
        final int cores = Runtime.getRuntime().availableProcessors();
        final StreamsConfig defaults = new StreamsConfig(StreamsSettings.streamsProperties(config()));
        assertEquals(Math.min(cores, 6), defaults.getInt(StreamsConfig.NUM_STREAM_THREADS_CONFIG), "6 partitions by default");

        final StreamsConfig onePartition = new StreamsConfig(StreamsSettings.streamsProperties(MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://streams-settings-test")
            .override("mailflow.topic.partitions", "1").build()));
        assertEquals(1, onePartition.getInt(StreamsConfig.NUM_STREAM_THREADS_CONFIG));

        final StreamsConfig userSet = new StreamsConfig(StreamsSettings.streamsProperties(MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://streams-settings-test")
            .override(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "5").build()));
        assertEquals(5, userSet.getInt(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
    }
}
