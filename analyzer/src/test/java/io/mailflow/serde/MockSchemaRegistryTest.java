package io.mailflow.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** mock://scope behaves like a Confluent registry with its default BACKWARD compatibility. */
class MockSchemaRegistryTest {
    private static final Schema V1 = SchemaBuilder.record("Alert").fields().requiredString("connector").endRecord();
    private static final Schema V2 = SchemaBuilder.record("Alert").fields().requiredString("connector")
        .name("severity").type().stringType().stringDefault("WARN").endRecord();
    private static final Schema BREAKING = SchemaBuilder.record("Alert").fields().requiredString("connector")
        .requiredString("severity").endRecord();

    private final String scope = "mock-" + UUID.randomUUID();
    private final MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);

    @AfterEach
    void drop() {
        MockSchemaRegistry.dropScope(scope);
    }

    @Test
    @DisplayName("serdes configured with the same mock:// scope share one registry; another scope is separate")
    void scopesAreShared() {
        assertSame(registry, SchemaRegistries.fromConfig(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + scope)));
        assertNotEquals(registry, SchemaRegistries.fromConfig(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + scope + "x")));
        MockSchemaRegistry.dropScope(scope + "x");
    }

    @Test
    @DisplayName("ids are global per schema: registering again or under another subject returns the same id")
    void idsPerSchema() {
        final int id = registry.register("a-value", V1);
        assertEquals(id, registry.register("a-value", V1));
        assertEquals(id, registry.register("b-value", V1));
        assertNotEquals(id, registry.register("a-value", V2));
        assertEquals(V1, registry.getById(id));
    }

    @Test
    @DisplayName("versions count per subject and latest is the last registered")
    void versions() {
        final int v1 = registry.register("a-value", V1);
        final int v2 = registry.register("a-value", V2);
        assertEquals(new SchemaRegistryClient.RegisteredSchema("a-value", 2, v2, V2), registry.getLatest("a-value"));
        assertEquals(v1, registry.getId("a-value", V1));
    }

    @Test
    @DisplayName("BACKWARD by default: a required field without default is refused with 409")
    void backwardByDefault() {
        registry.register("a-value", V1);
        assertEquals("BACKWARD", registry.getCompatibility("a-value"));
        assertTrue(registry.testCompatibility("a-value", V2));
        assertFalse(registry.testCompatibility("a-value", BREAKING));
        final SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> registry.register("a-value", BREAKING));
        assertEquals(409, e.status());
    }

    @Test
    @DisplayName("NONE per subject lets the breaking change in; FULL refuses a change only one way compatible")
    void levels() {
        registry.register("a-value", V1);
        registry.setCompatibility("a-value", "NONE");
        registry.register("a-value", BREAKING);

        registry.register("b-value", V1);
        registry.setCompatibility("b-value", "FULL");
        final Schema dropsField = SchemaBuilder.record("Alert").fields().endRecord();
        // V1 -> no fields: old readers need "connector" (no default) so FORWARD, and thus FULL, fails
        assertFalse(registry.testCompatibility("b-value", dropsField));
        registry.setCompatibility("b-value", "BACKWARD");
        assertTrue(registry.testCompatibility("b-value", dropsField));
    }

    @Test
    @DisplayName("lookups of unknown subjects, schemas and ids fail with Confluent's error codes")
    void notFound() {
        assertEquals(40401, assertThrows(SchemaRegistryException.class, () -> registry.getLatest("x")).errorCode());
        assertEquals(40401, assertThrows(SchemaRegistryException.class, () -> registry.getId("x", V1)).errorCode());
        registry.register("a-value", V1);
        assertEquals(40403, assertThrows(SchemaRegistryException.class, () -> registry.getId("a-value", V2)).errorCode());
        assertEquals(40403, assertThrows(SchemaRegistryException.class, () -> registry.getById(999_999)).errorCode());
    }
}
