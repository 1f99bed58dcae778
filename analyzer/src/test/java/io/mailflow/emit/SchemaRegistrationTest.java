package io.mailflow.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.config.MailflowConfig;
import io.mailflow.app.MailflowTopology;
import io.mailflow.app.StreamsSettings;
import io.mailflow.avro.MessageTrace;
import io.mailflow.detect.TestTraces;
import io.mailflow.ingest.MessageKeys;
import io.mailflow.serde.MockSchemaRegistry;
import java.util.Map;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.avro.Schema;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Every schema the topology writes is registered before it starts")
class SchemaRegistrationTest {

    private static void pipe(final TestInputTopic<String, MessageTrace> traces, final MessageTrace t) {
        traces.pipeInput(MessageKeys.of(t), t, t.getEventTime());
    }

    @Test
    void theSubjectsRegisteredUpFrontCoverEverySubjectARunUses() throws Exception {
        final MailflowConfig config = MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://schema-registration-used")
            .override("application.id", "schema-registration-test")
            .build();
        // what a run registers on its own, lazily: a generated day with outages through the whole topology
        final Properties props = StreamsSettings.streamsProperties(config);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
        final Topics topics = new Topics(config);
        try (TopologyTestDriver driver = new TopologyTestDriver(MailflowTopology.build(config), props, TestTraces.T0)) {
            final TestInputTopic<String, MessageTrace> traces =
                driver.createInputTopic(topics.traces.name(), Serdes.String().serializer(), topics.traces.valueSerde().serializer());
            // 26 hours: 5 messages deferred every 30 minutes until they expire, deliveries every 10 minutes
            for (int m = 0; m < 26 * 60; m += 10) {
                pipe(traces, TestTraces.delivery("To HQ", TestTraces.minutes(m), "<hq" + m + "@fabrikam.example>"));
                for (int i = 0; i < 5 && m % 30 == 0; i++) {
                    pipe(traces, TestTraces.deferral("Partner - Contoso", "4.4.316", TestTraces.minutes(m + 1), "<p" + i + "@fabrikam.example>"));
                }
            }
        }
        final SortedSet<String> used = MockSchemaRegistry.forScope("schema-registration-used").subjects();
        assertTrue(used.stream().anyMatch(s -> s.endsWith("-changelog-value")), "the run wrote store changelogs: " + used);
        assertTrue(used.stream().anyMatch(s -> s.endsWith("-repartition-value")), "and repartition topics: " + used);

        final Map<String, Schema> declared = MailflowTopology.valueSubjects(config);
        final SortedSet<String> missing = new TreeSet<>(used);
        missing.removeAll(declared.keySet());
        assertEquals(new TreeSet<>(), missing, "subjects a run uses that are not registered up front");

        // registered up front into an empty registry, they are the subjects a run uses (and the dead letters')
        final MailflowConfig fresh = config.with("schema.registry.url", "mock://schema-registration-up-front");
        SchemaRegistration.registerAll(new Topics(fresh).serdeConfig(), MailflowTopology.valueSubjects(fresh), null);
        assertTrue(MockSchemaRegistry.forScope("schema-registration-up-front").subjects().containsAll(used));
    }
}
