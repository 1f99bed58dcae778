package io.mailflow.app;

import io.mailflow.config.DetectionConfig;
import io.mailflow.config.Durations;
import io.mailflow.config.MailflowConfig;
import io.mailflow.config.QueueConfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MailflowConfigTest {

    @TempDir
    Path dir;

    @Test
    void laterLayersWinDefaultsThenFileThenEnvThenFlags() throws IOException {
        final Path file = dir.resolve("mailflow.properties");
        Files.writeString(file, """
            bootstrap.servers=file:9092
            application.id=from-file
            mailflow.topic.alerts=file.alerts
            mailflow.detect.quiet-period=45m
            """);
        final Map<String, String> env = Map.of(
            "MAILFLOW_KAFKA_APPLICATION_ID", "from-env",
            "MAILFLOW_TOPIC_ALERTS", "env.alerts",
            "PATH", "/usr/bin");
        final ConfigOptions options = new ConfigOptions();
        new CommandLine(options).parseArgs("--config", file.toString(), "--set", "mailflow.topic.alerts=flag.alerts");

        final MailflowConfig config = options.resolve(env);

        assertEquals("file:9092", config.get("bootstrap.servers"), "file overrides default");
        assertEquals("from-env", config.get("application.id"), "env overrides file");
        assertEquals("flag.alerts", config.get("mailflow.topic.alerts"), "flag overrides env");
        assertEquals(MailflowConfig.Source.FLAG, config.sourceOf("mailflow.topic.alerts"));
        assertEquals("mailflow.ndr", config.get("mailflow.topic.ndr"), "untouched keys keep their default");
        assertEquals(Duration.ofMinutes(45), config.getDuration("mailflow.detect.quiet-period", Duration.ZERO));
        assertTrue(config.get("path") == null && config.get("mailflow.path") == null, "foreign env vars are ignored");
    }

    @Test
    void configFileCanComeFromTheEnvironment() throws IOException {
        final Path file = dir.resolve("env.properties");
        Files.writeString(file, "bootstrap.servers=envfile:9092\n");
        final ConfigOptions options = new ConfigOptions();
        new CommandLine(options).parseArgs("--bootstrap-servers", "flag:9092");
        assertEquals("flag:9092", options.resolve(Map.of("MAILFLOW_CONFIG", file.toString())).get("bootstrap.servers"));
        final ConfigOptions noFlags = new ConfigOptions();
        assertEquals("envfile:9092", noFlags.resolve(Map.of("MAILFLOW_CONFIG", file.toString())).get("bootstrap.servers"));
    }

    @Test
    void environmentNamesMapToDottedAndDashedKeys() {
        assertEquals("mailflow.detect.quiet-period", MailflowConfig.keyForEnv("MAILFLOW_DETECT_QUIET__PERIOD"));
        assertEquals("bootstrap.servers", MailflowConfig.keyForEnv("MAILFLOW_KAFKA_BOOTSTRAP_SERVERS"));
        assertEquals("schema.registry.url", MailflowConfig.keyForEnv("MAILFLOW_KAFKA_SCHEMA_REGISTRY_URL"));
        assertEquals(null, MailflowConfig.keyForEnv("MAILFLOW_CONFIG"));
        // the launcher's own variables (deploy/bin/mailflow) are passed on to the JVM with the rest
        assertEquals(null, MailflowConfig.keyForEnv("MAILFLOW_CDS"));
        assertEquals(null, MailflowConfig.keyForEnv("MAILFLOW_JIT"));
        assertEquals(null, MailflowConfig.keyForEnv("HOME"));
    }

    @Test
    void wrongValuesAreReportedWithTheKeyAndWhereTheyCameFrom() {
        final MailflowConfig config = MailflowConfig.builder().defaults()
            .env(Map.of("MAILFLOW_TOPIC_PARTITIONS", "six")).build();
        final MailflowConfig.ConfigException error = assertThrows(MailflowConfig.ConfigException.class,
            () -> config.getInt("mailflow.topic.partitions", 1));
        assertTrue(error.getMessage().contains("mailflow.topic.partitions") && error.getMessage().contains("six")
            && error.getMessage().contains("env"), error.getMessage());
    }

    @Test
    void missingConfigFileIsAClearUsageError() {
        final int code = Mailflow.execute("topics", "--config", dir.resolve("nope.properties").toString());
        assertEquals(ExitCodes.USAGE, code);
    }

    @Test
    void durationsAcceptIsoAndShortForms() {
        assertEquals(Duration.ofMinutes(30), Durations.parse("30m"));
        assertEquals(Duration.ofHours(4), Durations.parse("4h"));
        assertEquals(Duration.ofDays(2), Durations.parse("2d"));
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofMinutes(15), Durations.parse("PT15M"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("soon"));
    }

    @Test
    void durationsInMessagesReadAsPeopleSayThem() {
        assertEquals("7d", Durations.humanize(Duration.ofDays(7)), "a topic's default retention");
        assertEquals("25h", Durations.humanize(Duration.ofHours(25)));
        assertEquals("1h30m", Durations.humanize(Duration.ofMinutes(90)));
        assertEquals("42s", Durations.humanize(Duration.ofSeconds(42)));
    }

    @Test
    void durationsAreListedInTheShortFormTheyAreReadBackFrom() {
        assertEquals("24h", Durations.format(Duration.ofHours(24)));
        assertEquals("30m", Durations.format(Duration.ofMinutes(30)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("500ms", Durations.format(Duration.ofMillis(500)));
        for (final Duration d : new Duration[] {Duration.ofDays(2), Duration.ofMinutes(61), Duration.ofMillis(1500), Duration.ZERO}) {
            assertEquals(d, Durations.parse(Durations.format(d)), d::toString);
        }
    }

    @Test
    @DisplayName("the built-in defaults list detection and queue rules, with the values their configs use")
    void defaultsListDetectionAndQueueSettings() {
        final Map<String, String> defaults = MailflowConfig.defaults();
        assertEquals("30m", defaults.get("mailflow.detect.quiet-period"), "episode ends after 30 min without failures");
        assertEquals("24h", defaults.get("mailflow.queue.expire-after"), "Exchange Online expires after 24 h");
        assertEquals("4h", defaults.get("mailflow.queue.delay-notice-after"));
        assertEquals("mailflow.local", defaults.get("mailflow.reporting-mta"));
        // the listed values are the ones the configs fall back to, so listing them changes nothing
        final MailflowConfig listed = MailflowConfig.builder().defaults().build();
        final MailflowConfig none = MailflowConfig.builder().build();
        assertEquals(DetectionConfig.from(none), DetectionConfig.from(listed));
        assertEquals(QueueConfig.from(none), QueueConfig.from(listed));
        for (final String key : defaults.keySet()) {
            assertEquals(MailflowConfig.Source.DEFAULT, listed.sourceOf(key), key);
        }
    }

    @Test
    void changingOneSettingKeepsWhereTheOthersCameFrom() {
        final MailflowConfig config = MailflowConfig.builder().defaults()
            .env(Map.of("MAILFLOW_TOPIC_PARTITIONS", "3")).build()
            .with("mailflow.queue.wall-clock-safety-net", "false");
        assertEquals(MailflowConfig.Source.ENV, config.sourceOf("mailflow.topic.partitions"));
        assertEquals(MailflowConfig.Source.DEFAULT, config.sourceOf("mailflow.detect.partition-idle"));
        assertEquals(MailflowConfig.Source.FLAG, config.sourceOf("mailflow.queue.wall-clock-safety-net"));
    }

    @Test
    void theEmbeddedRuntimeShortensPartitionIdleUnlessTheUserSetIt() {
        final MailflowConfig defaults = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults().build());
        assertEquals("5s", defaults.get(EmbeddedRuntime.PARTITION_IDLE));
        assertEquals(Integer.toString(EmbeddedRuntime.parallelism()), defaults.get("mailflow.topic.partitions"));
        final MailflowConfig userSet = EmbeddedRuntime.embeddedDefaults(MailflowConfig.builder().defaults()
            .override(EmbeddedRuntime.PARTITION_IDLE, "20s").override("mailflow.topic.partitions", "3").build());
        assertEquals("20s", userSet.get(EmbeddedRuntime.PARTITION_IDLE));
        assertEquals("3", userSet.get("mailflow.topic.partitions"));
    }
}
