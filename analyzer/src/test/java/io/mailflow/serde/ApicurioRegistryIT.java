package io.mailflow.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.MessageTrace;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The REST client and the serdes against a real Confluent-API registry (Apicurio 2.4.2, deploy/dev-registry). */
class ApicurioRegistryIT {
    private static final Schema V1 = SchemaBuilder.record("Connector").namespace("it").fields()
        .requiredString("name").endRecord();
    private static final Schema V2_WITH_DEFAULT = SchemaBuilder.record("Connector").namespace("it").fields()
        .requiredString("name").name("region").type().stringType().stringDefault("eu").endRecord();
    private static final Schema V2_WITHOUT_DEFAULT = SchemaBuilder.record("Connector").namespace("it").fields()
        .requiredString("name").requiredInt("port").endRecord();

    private static String url;
    private static RestSchemaRegistryClient client;

    @BeforeAll
    static void registry() {
        url = DevRegistry.url();
        client = RestSchemaRegistryClient.fromConfig(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, url));
    }

    private static Map<String, Object> serdeConfig(final Object... keyValues) {
        final Map<String, Object> configs = new HashMap<>();
        configs.put(SerdeConfig.SCHEMA_REGISTRY_URL, url);
        for (int i = 0; i < keyValues.length; i += 2) {
            configs.put((String) keyValues[i], keyValues[i + 1]);
        }
        return configs;
    }

    @Test
    @DisplayName("register, lookup, get by id and latest agree with each other")
    void registerLookupGetLatest() {
        final String subject = DevRegistry.uniqueTopic("it") + "-value";
        final int id = client.register(subject, V1);
        assertEquals(id, client.register(subject, V1), "registering again is idempotent");
        assertEquals(id, client.getId(subject, V1));
        assertEquals(V1, client.getById(id));
        final SchemaRegistryClient.RegisteredSchema latest = client.getLatest(subject);
        assertEquals(subject, latest.subject());
        assertEquals(1, latest.version());
        assertEquals(id, latest.id());
        assertEquals(V1, latest.schema());

        final int v2 = client.register(subject, V2_WITH_DEFAULT);
        assertNotEquals(id, v2);
        assertEquals(2, client.getLatest(subject).version());
        assertEquals(v2, client.getLatest(subject).id());
    }

    @Test
    @DisplayName("the same schema under two subjects has one id (ids are per schema content)")
    void idsPerContent() {
        final Schema schema = SchemaBuilder.record("Shared" + Long.toHexString(System.nanoTime())).fields()
            .requiredLong("n").endRecord();
        assertEquals(client.register(DevRegistry.uniqueTopic("a") + "-value", schema),
            client.register(DevRegistry.uniqueTopic("b") + "-value", schema));
    }

    @Test
    @DisplayName("an incompatible change is rejected under BACKWARD, with the registry's status and message surfaced")
    void incompatibleChangeRejected() {
        final String subject = DevRegistry.uniqueTopic("it") + "-value";
        client.register(subject, V1);
        client.setCompatibility(subject, "BACKWARD");
        assertTrue(client.testCompatibility(subject, V2_WITH_DEFAULT));
        assertFalse(client.testCompatibility(subject, V2_WITHOUT_DEFAULT));
        final SchemaRegistryException e = assertThrows(SchemaRegistryException.class,
            () -> client.register(subject, V2_WITHOUT_DEFAULT));
        assertEquals(409, e.status());
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("incompatible"), e.getMessage());
        assertEquals(1, client.getLatest(subject).version(), "nothing was registered");
    }

    @Test
    @DisplayName("the dev registry runs BACKWARD, as README says: GET /config reports it and a subject without its own level obeys it")
    void globalCompatibilityIsBackward() throws Exception {
        final java.net.http.HttpResponse<String> config = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/config")).GET().build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, config.statusCode(), config.body());
        assertEquals("{\"compatibilityLevel\":\"BACKWARD\"}", config.body().replace(" ", ""));
        assertEquals("BACKWARD", client.getCompatibility(null));
        final String subject = DevRegistry.uniqueTopic("it") + "-value";
        client.register(subject, V1);
        assertFalse(client.testCompatibility(subject, V2_WITHOUT_DEFAULT), "the global rule applies to every subject");
    }

    @Test
    @DisplayName("per-subject compatibility can be set and read back; FORWARD then admits a new field without default")
    void subjectConfig() {
        final String subject = DevRegistry.uniqueTopic("it") + "-value";
        client.register(subject, V1);
        client.setCompatibility(subject, "FULL");
        assertEquals("FULL", client.getCompatibility(subject));
        // (not NONE: Apicurio then falls back to its global rule, see docs/schema-registry.md)
        client.setCompatibility(subject, "FORWARD");
        assertEquals("FORWARD", client.getCompatibility(subject));
        client.register(subject, V2_WITHOUT_DEFAULT);
        assertEquals(2, client.getLatest(subject).version());
        final String global = client.getCompatibility(null);
        assertTrue(java.util.Set.of("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
            "FULL_TRANSITIVE").contains(global), global);
    }

    @Test
    @DisplayName("unknown ids and subjects fail with 404 and the registry's error code")
    void notFound() {
        final SchemaRegistryException noId = assertThrows(SchemaRegistryException.class, () -> client.getById(987_654_321));
        assertEquals(404, noId.status());
        assertEquals(40403, noId.errorCode());
        final SchemaRegistryException noSubject = assertThrows(SchemaRegistryException.class,
            () -> client.getLatest(DevRegistry.uniqueTopic("none") + "-value"));
        assertEquals(404, noSubject.status());
        // Confluent answers 40401 here, Apicurio 40402 (see docs/schema-registry.md)
        assertTrue(noSubject.errorCode() == 40401 || noSubject.errorCode() == 40402, noSubject.getMessage());
        assertTrue(client.testCompatibility(DevRegistry.uniqueTopic("none") + "-value", V1),
            "a subject without versions accepts any schema");
    }

    static final Iterable<Class<? extends SpecificRecord>> TYPES = SampleRecords.TYPES;

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    @DisplayName("every record type round-trips through the real registry; the generic reader sees the same fields")
    <T extends SpecificRecord> void serdeRoundTrip(final Class<T> type) {
        final String topic = DevRegistry.uniqueTopic(type.getSimpleName());
        final SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type);
        serde.configure(serdeConfig(), false);
        final T record = SampleRecords.filled(type, 11);

        final byte[] bytes = serde.serializer().serialize(topic, record);

        assertEquals(client.getId(topic + "-value", record.getSchema()), WireFormat.schemaId(topic, bytes));
        assertEquals(record, serde.deserializer().deserialize(topic, bytes));
        final GenericAvroDeserializer generic = new GenericAvroDeserializer();
        generic.configure(serdeConfig(), false);
        final GenericRecord read = generic.deserialize(topic, bytes);
        assertEquals(GenericData.get().toString(AvroSerdeTest.asGeneric(record)), GenericData.get().toString(read));
    }

    @Test
    @DisplayName("a consumer that never saw the producer reads its records by fetching the writer schema by id")
    void freshConsumerFetchesSchema() {
        final String topic = DevRegistry.uniqueTopic("traces");
        final SpecificAvroSerde<MessageTrace> producer = new SpecificAvroSerde<>(MessageTrace.class);
        // a different TTL key gives a separate client and cache, like another process
        producer.configure(serdeConfig(SerdeConfig.LATEST_CACHE_TTL_SEC, "5"), false);
        final MessageTrace trace = SampleRecords.trace(12);
        final byte[] bytes = producer.serializer().serialize(topic, trace);
        final SpecificAvroSerde<MessageTrace> consumer = new SpecificAvroSerde<>(MessageTrace.class);
        consumer.configure(serdeConfig(SerdeConfig.LATEST_CACHE_TTL_SEC, "6"), false);
        assertEquals(trace, consumer.deserializer().deserialize(topic, bytes));
    }

    @Test
    @DisplayName("use.latest.version writes under the latest registered id; auto.register.schemas=false refuses an unregistered schema")
    void serdeOptions() {
        final String topic = DevRegistry.uniqueTopic("latest");
        final SpecificAvroSerde<MessageTrace> noRegister = new SpecificAvroSerde<>(MessageTrace.class);
        noRegister.configure(serdeConfig(SerdeConfig.AUTO_REGISTER_SCHEMAS, "false"), false);
        final SerializationException e = assertThrows(SerializationException.class,
            () -> noRegister.serializer().serialize(topic, SampleRecords.trace(1)));
        assertTrue(e.getCause() instanceof SchemaRegistryException registryError && registryError.status() == 404,
            String.valueOf(e.getCause()));

        final Schema latest = AvroSerdeTest.withExtraField(MessageTrace.getClassSchema(), "tenant", "\"none\"");
        client.register(topic + "-value", MessageTrace.getClassSchema());
        final int latestId = client.register(topic + "-value", latest);
        final SpecificAvroSerde<MessageTrace> useLatest = new SpecificAvroSerde<>(MessageTrace.class);
        useLatest.configure(serdeConfig(SerdeConfig.AUTO_REGISTER_SCHEMAS, "false", SerdeConfig.USE_LATEST_VERSION, "true"),
            false);
        final MessageTrace trace = SampleRecords.trace(2);
        final byte[] bytes = useLatest.serializer().serialize(topic, trace);
        assertEquals(latestId, WireFormat.schemaId(topic, bytes));
        assertEquals(trace, useLatest.deserializer().deserialize(topic, bytes));
    }
}
