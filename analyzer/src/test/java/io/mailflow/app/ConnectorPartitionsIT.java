package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.config.DetectionConfig;
import io.mailflow.config.MailflowConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mailflow run} on an application whose connector stage exists already, on a real broker:
 * builds before the connector stage had a partition count of its own created its repartition
 * topics with the traces topic's count, and Kafka Streams refuses to start with another.
 */
class ConnectorPartitionsIT {

    @Test
    @DisplayName("an application keeps the connector stage's partitions it was created with; another count set explicitly, or topics that disagree, are refused with the counts named")
    void anExistingApplicationKeepsItsConnectorPartitions(@TempDir final Path dir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0, dir.resolve("kafka"), Map.of());
             Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            // what a build before the setting left: both repartition topics with the traces topic's 3 partitions
            admin.createTopics(List.of(new NewTopic("old-app-connector-signals-repartition", 3, (short) 1),
                new NewTopic("old-app-stats-partials-repartition", 3, (short) 1))).all().get(30, TimeUnit.SECONDS);

            final MailflowConfig old = config(kafka, "old-app").build();
            assertEquals(1, DetectionConfig.from(old).connectorPartitions(), "the default");
            assertEquals(3, DetectionConfig.from(Analyzer.withConnectorPartitions(old, admin)).connectorPartitions(),
                "an existing application keeps its count");

            final MailflowConfig explicit = config(kafka, "old-app").override("mailflow.detect.connector-partitions", "1").build();
            final MailflowConfig.ConfigException refused = assertThrows(MailflowConfig.ConfigException.class,
                () -> Analyzer.withConnectorPartitions(explicit, admin));
            assertTrue(refused.getMessage().contains("mailflow.detect.connector-partitions") && refused.getMessage().contains("in 3 partitions")
                && refused.getMessage().contains("reset"), refused.getMessage());

            final MailflowConfig same = config(kafka, "old-app").override("mailflow.detect.connector-partitions", "3").build();
            assertEquals(3, DetectionConfig.from(Analyzer.withConnectorPartitions(same, admin)).connectorPartitions());

            // the two topics disagree (created by hand, or half reset): no count to keep, even by default
            admin.createTopics(List.of(new NewTopic("torn-app-connector-signals-repartition", 3, (short) 1),
                new NewTopic("torn-app-stats-partials-repartition", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
            final MailflowConfig.ConfigException torn = assertThrows(MailflowConfig.ConfigException.class,
                () -> Analyzer.withConnectorPartitions(config(kafka, "torn-app").build(), admin));
            assertTrue(torn.getMessage().contains("topics of different partition counts")
                && torn.getMessage().contains("torn-app-stats-partials-repartition=2"), torn.getMessage());

            final MailflowConfig fresh = config(kafka, "new-app").build();
            assertEquals(1, DetectionConfig.from(Analyzer.withConnectorPartitions(fresh, admin)).connectorPartitions(),
                "a new application takes the setting");
        }
    }

    private static MailflowConfig.Builder config(final EmbeddedKafka kafka, final String app) {
        return MailflowConfig.builder().defaults()
            .override("bootstrap.servers", kafka.bootstrapServers())
            .override("schema.registry.url", "mock://connector-partitions-it")
            .override("application.id", app);
    }
}
