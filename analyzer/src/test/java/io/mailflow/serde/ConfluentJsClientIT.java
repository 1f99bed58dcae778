package io.mailflow.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mailflow.avro.MessageTrace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Confluent's JavaScript client ({@code @confluentinc/schemaregistry}, deploy/js-interop) decodes
 * what mailflow produced through the same registry: a consumer in another language that knows
 * nothing of mailflow but the topic and the registry.
 */
class ConfluentJsClientIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String url;
    private static Path interopDir;

    @TempDir
    Path temp;

    @BeforeAll
    static void setUp() {
        url = DevRegistry.url();
        interopDir = DevRegistry.projectDir().resolve("deploy/js-interop");
        if (!Files.isDirectory(interopDir.resolve("node_modules/@confluentinc/schemaregistry"))) {
            throw new IllegalStateException("Confluent's JavaScript client is not installed in " + interopDir
                + ": run deploy/js-interop/install.sh (npm ci, ~170 MB, ~30 s)");
        }
    }

    static final Iterable<Class<? extends SpecificRecord>> TYPES = List.of(MessageTrace.class,
        io.mailflow.avro.ConnectorAlert.class, io.mailflow.avro.NonDeliveryReport.class);

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    @DisplayName("every field the JavaScript AvroDeserializer decodes equals the field mailflow wrote")
    <T extends SpecificRecord> void jsDecodesOurRecords(final Class<T> type) throws Exception {
        final String topic = DevRegistry.uniqueTopic(type.getSimpleName());
        final SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type);
        serde.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, url), false);
        final T record = SampleRecords.filled(type, 33);
        final Path value = temp.resolve("value.bin");
        Files.write(value, serde.serializer().serialize(topic, record));

        final JsonNode decoded = JSON.readTree(decodeWithJs(topic, value));

        assertSameFields(AvroSerdeTest.asGeneric(record), decoded, type.getSimpleName());
    }

    /** Compares field by field: strings and enum symbols as text, numbers as numbers, records, arrays and maps recursively. */
    private static void assertSameFields(final GenericRecord expected, final JsonNode actual, final String path) {
        assertEquals(expected.getSchema().getFields().size(), actual.size(), path + ": field count");
        for (final Schema.Field field : expected.getSchema().getFields()) {
            assertSameValue(expected.get(field.name()), actual.get(field.name()), path + "." + field.name());
        }
    }

    private static void assertSameValue(final Object expected, final JsonNode actual, final String path) {
        if (expected == null) {
            assertEquals(true, actual == null || actual.isNull(), path + " should be null, was " + actual);
        } else if (expected instanceof GenericRecord nested) {
            assertSameFields(nested, actual, path);
        } else if (expected instanceof List<?> list) {
            assertEquals(list.size(), actual.size(), path + ": array size");
            for (int i = 0; i < list.size(); i++) {
                assertSameValue(list.get(i), actual.get(i), path + "[" + i + "]");
            }
        } else if (expected instanceof Map<?, ?> map) {
            assertEquals(true, actual != null && actual.isObject(), path + " should be an object, was " + actual);
            assertEquals(map.size(), actual.size(), path + ": map size");
            for (final Map.Entry<?, ?> entry : map.entrySet()) {
                assertSameValue(entry.getValue(), actual.get(entry.getKey().toString()), path + "[" + entry.getKey() + "]");
            }
        } else if (expected instanceof Number number) {
            assertEquals(number.longValue(), actual.asLong(), path);
        } else if (expected instanceof Boolean bool) {
            assertEquals(bool, actual.asBoolean(), path);
        } else {
            assertEquals(expected.toString(), actual.asText(), path);
        }
    }

    private static String decodeWithJs(final String topic, final Path value) throws IOException, InterruptedException {
        final Process node = new ProcessBuilder("node", "decode.mjs", url, topic, value.toString())
            .directory(interopDir.toFile()).redirectErrorStream(true).start();
        final byte[] output = node.getInputStream().readAllBytes();
        if (!node.waitFor(60, TimeUnit.SECONDS) || node.exitValue() != 0) {
            node.destroyForcibly();
            throw new AssertionError("node decode.mjs failed: " + new String(output, StandardCharsets.UTF_8));
        }
        final String text = new String(output, StandardCharsets.UTF_8).trim();
        // the JSON is the last line; anything before it is a library's warning
        return text.substring(text.lastIndexOf('\n') + 1);
    }
}
