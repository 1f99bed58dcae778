package io.mailflow.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.MessageTrace;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Confluent's own Java client as the oracle: against the same registry it must see the subjects,
 * ids and schemas mailflow's client registers and vice versa, write the same bytes for the same
 * record, and read mailflow's bytes back to the same record.
 */
class ConfluentJavaClientIT {
    private static String url;
    private static ConfluentOracleLoader confluent;
    private static RestSchemaRegistryClient ours;

    @BeforeAll
    static void clients() throws Exception {
        url = DevRegistry.url();
        confluent = new ConfluentOracleLoader(url);
        ours = RestSchemaRegistryClient.fromConfig(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, url));
    }

    @AfterAll
    static void close() throws Exception {
        confluent.close();
    }

    @Test
    @DisplayName("the Confluent bundle is isolated: its classes are not on the test classpath, and it uses its own Guava")
    void bundleIsIsolated() throws Exception {
        assertThrows(ClassNotFoundException.class, () -> Class.forName(
            "org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.CachedSchemaRegistryClient"));
        assertTrue(confluent.sees("com.google.common.base.Ticker"));
        assertTrue(confluent.sees("com.github.luben.zstd.Zstd"));
    }

    @Test
    @DisplayName("a subject registered by mailflow: Confluent's client finds the same id, version and schema")
    void confluentSeesOurRegistrations() throws Exception {
        final String subject = DevRegistry.uniqueTopic("ours") + "-value";
        final Schema schema = MessageTrace.getClassSchema();
        final int id = ours.register(subject, schema);
        assertEquals(id, (int) confluent.call("getId", subject, schema.toString()));
        assertArrayEquals(new int[] {id, 1}, confluent.call("latest", subject));
        assertEquals(schema, new Schema.Parser().parse((String) confluent.call("schemaById", id)));
        assertEquals(id, (int) confluent.call("register", subject, schema.toString()), "registering again is a no-op");
        assertEquals(1, ours.getLatest(subject).version());
    }

    @Test
    @DisplayName("a subject registered by Confluent's client: mailflow finds the same id, version and schema")
    void weSeeConfluentRegistrations() throws Exception {
        final String subject = DevRegistry.uniqueTopic("theirs") + "-value";
        final Schema schema = ConnectorAlert.getClassSchema();
        final int id = confluent.call("register", subject, schema.toString());
        assertEquals(id, ours.getId(subject, schema));
        assertEquals(id, ours.register(subject, schema));
        final SchemaRegistryClient.RegisteredSchema latest = ours.getLatest(subject);
        assertEquals(1, latest.version());
        assertEquals(id, latest.id());
        assertEquals(schema, ours.getById(id));
    }

    static final Iterable<Class<? extends SpecificRecord>> TYPES = SampleRecords.TYPES;

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    @DisplayName("mailflow writes the very bytes Confluent's serializer format gives, and Confluent reads them back")
    <T extends SpecificRecord> void identicalBytes(final Class<T> type) throws Exception {
        final String topic = DevRegistry.uniqueTopic(type.getSimpleName());
        final SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type);
        serde.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, url), false);
        final T record = SampleRecords.filled(type, 21);
        final String recordJson = avroJson(AvroSerdeTest.asGeneric(record));

        final byte[] ourBytes = serde.serializer().serialize(topic, record);
        final byte[] theirBytes = confluent.call("serialize", topic + "-value", record.getSchema().toString(), recordJson);

        assertArrayEquals(theirBytes, ourBytes);
        assertEquals(recordJson, confluent.call("deserialize", ourBytes));
        assertEquals(record, serde.deserializer().deserialize(topic, theirBytes));
    }

    private static String avroJson(final GenericRecord record) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final JsonEncoder encoder = EncoderFactory.get().jsonEncoder(record.getSchema(), out);
        new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
        encoder.flush();
        return out.toString(StandardCharsets.UTF_8);
    }
}
