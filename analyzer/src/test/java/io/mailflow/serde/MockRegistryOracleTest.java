package io.mailflow.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * mailflow's mock:// registry against Confluent's own MockSchemaRegistryClient (7.5.3, from the
 * isolated Flink bundle): the same sequence of operations must give the same transcript of ids,
 * versions, compatibility answers and error codes, so unit tests on mock:// mean what they would
 * with Confluent's serde.
 */
class MockRegistryOracleTest {
    private static final Schema V1 = SchemaBuilder.record("Alert").namespace("oracle").fields()
        .requiredString("connector").endRecord();
    private static final Schema V2 = SchemaBuilder.record("Alert").namespace("oracle").fields()
        .requiredString("connector").name("severity").type().stringType().stringDefault("WARN").endRecord();
    private static final Schema BREAKING = SchemaBuilder.record("Alert").namespace("oracle").fields()
        .requiredString("connector").requiredInt("port").endRecord();
    private static final Schema OTHER = SchemaBuilder.record("Stats").namespace("oracle").fields()
        .requiredLong("count").endRecord();

    private record Step(String operation, String subject, String argument) {
    }

    private static final List<Step> SCRIPT = List.of(
        new Step("register", "a-value", V1.toString()),
        new Step("register", "a-value", V1.toString()),
        new Step("register", "b-value", V1.toString()),
        new Step("register", "c-value", OTHER.toString()),
        new Step("getId", "a-value", V1.toString()),
        new Step("getId", "a-value", OTHER.toString()),
        new Step("getId", "nobody-value", V1.toString()),
        new Step("testCompatibility", "a-value", V2.toString()),
        new Step("testCompatibility", "a-value", BREAKING.toString()),
        new Step("register", "a-value", V2.toString()),
        new Step("latest", "a-value", null),
        new Step("latest", "b-value", null),
        new Step("latest", "c-value", null),
        new Step("setCompatibility", "a-value", "NONE"),
        new Step("register", "a-value", BREAKING.toString()),
        new Step("latest", "a-value", null),
        new Step("getById", null, "1"),
        new Step("getById", null, "2"));

    @Test
    @DisplayName("the same operations give the same ids, versions, answers and error codes as Confluent's mock")
    void sameTranscriptAsConfluentMock() throws Exception {
        final List<String> theirs = new ArrayList<>();
        try (ConfluentOracleLoader confluent = new ConfluentOracleLoader("mock://oracle")) {
            for (final Step step : SCRIPT) {
                theirs.add(describe(step, confluent.call("transcribe", step.operation(), step.subject(), step.argument())));
            }
        }
        final String scope = "oracle-" + UUID.randomUUID();
        final List<String> ours = new ArrayList<>();
        try {
            final MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);
            for (final Step step : SCRIPT) {
                ours.add(describe(step, transcribe(registry, step)));
            }
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
        assertEquals(String.join("\n", theirs), String.join("\n", ours));
    }

    @Test
    @DisplayName("where Confluent's mock is laxer than Confluent's server, ours follows the server: an incompatible schema is refused with 409")
    void refusesIncompatibleLikeTheServer() throws Exception {
        final List<Step> script = List.of(new Step("register", "a-value", V1.toString()),
            new Step("testCompatibility", "a-value", BREAKING.toString()),
            new Step("register", "a-value", BREAKING.toString()));
        final List<String> theirs = new ArrayList<>();
        try (ConfluentOracleLoader confluent = new ConfluentOracleLoader("mock://oracle")) {
            for (final Step step : script) {
                theirs.add(confluent.call("transcribe", step.operation(), step.subject(), step.argument()));
            }
        }
        // Confluent's MockSchemaRegistryClient 7.5.3 registers without checking, though its own check says no
        assertEquals(List.of("id 1", "compatible false", "id 2"), theirs);
        final String scope = "oracle-" + UUID.randomUUID();
        try {
            final MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);
            final List<String> ours = new ArrayList<>();
            for (final Step step : script) {
                ours.add(transcribe(registry, step));
            }
            // as Confluent's server (and Apicurio, ApicurioRegistryIT) answer: HTTP 409
            assertEquals(List.of("id 1", "compatible false", "error 409/409"), ours);
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }

    private static String describe(final Step step, final String result) {
        return step.operation() + " " + step.subject() + " -> " + result;
    }

    private static String transcribe(final SchemaRegistryClient registry, final Step step) {
        try {
            return switch (step.operation()) {
                case "register" -> "id " + registry.register(step.subject(), parse(step.argument()));
                case "getId" -> "id " + registry.getId(step.subject(), parse(step.argument()));
                case "latest" -> {
                    final SchemaRegistryClient.RegisteredSchema latest = registry.getLatest(step.subject());
                    yield "version " + latest.version() + " id " + latest.id();
                }
                case "getById" -> "schema " + registry.getById(Integer.parseInt(step.argument()));
                case "testCompatibility" -> "compatible " + registry.testCompatibility(step.subject(), parse(step.argument()));
                case "setCompatibility" -> {
                    registry.setCompatibility(step.subject(), step.argument());
                    yield "level " + registry.getCompatibility(step.subject());
                }
                default -> throw new IllegalArgumentException(step.operation());
            };
        } catch (final SchemaRegistryException e) {
            return "error " + e.status() + "/" + e.errorCode();
        }
    }

    private static Schema parse(final String schema) {
        return new Schema.Parser().parse(schema);
    }
}
