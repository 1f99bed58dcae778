package io.mailflow.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mailflow.avro.Direction;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.avro.internal.FailureEpisode;
import io.mailflow.avro.internal.MessageArrival;
import io.mailflow.avro.internal.PartitionQueue;
import io.mailflow.avro.internal.PendingRecipient;
import io.mailflow.avro.internal.PostfixQueueEntry;
import io.mailflow.avro.internal.QueuedRecipient;
import io.mailflow.avro.internal.StatsPartial;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The serdes against mock://: what a producer writes, a consumer reads, under Confluent's options. */
class AvroSerdeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "mailflow.traces";

    private final String scope = "serde-" + UUID.randomUUID();
    private final MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);

    @AfterEach
    void drop() {
        MockSchemaRegistry.dropScope(scope);
    }

    private Map<String, Object> config(final Object... keyValues) {
        final Map<String, Object> configs = new HashMap<>();
        configs.put(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + scope);
        for (int i = 0; i < keyValues.length; i += 2) {
            configs.put((String) keyValues[i], keyValues[i + 1]);
        }
        return configs;
    }

    private <T extends SpecificRecord> SpecificAvroSerde<T> serde(final Class<T> type, final Object... keyValues) {
        final SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type);
        serde.configure(config(keyValues), false);
        return serde;
    }

    private GenericAvroDeserializer genericDeserializer() {
        final GenericAvroDeserializer deserializer = new GenericAvroDeserializer();
        deserializer.configure(config(), false);
        return deserializer;
    }

    static final Iterable<Class<? extends SpecificRecord>> TYPES = SampleRecords.TYPES;

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    @DisplayName("every record type comes back equal, with all optional fields set")
    <T extends SpecificRecord> void roundTrip(final Class<T> type) {
        final SpecificAvroSerde<T> serde = serde(type);
        final T record = SampleRecords.filled(type, 42);
        final byte[] bytes = serde.serializer().serialize("topic-" + type.getSimpleName(), record);
        assertEquals(record, serde.deserializer().deserialize("topic-" + type.getSimpleName(), bytes));
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    @DisplayName("the generic deserializer reads every record type in its writer's schema, field for field")
    <T extends SpecificRecord> void genericReadsEveryType(final Class<T> type) {
        final T record = SampleRecords.filled(type, 7);
        final byte[] bytes = serde(type).serializer().serialize("t", record);
        final GenericRecord generic = genericDeserializer().deserialize("t", bytes);
        assertEquals(record.getSchema(), generic.getSchema());
        // GenericData renders both as the same JSON when the values agree (logical types as their raw longs)
        assertEquals(GenericData.get().toString(asGeneric(record)), GenericData.get().toString(generic));
    }

    /** Every generated record type, the internal state and changelog ones too (those have Avro's generated encoders). */
    static final Iterable<Class<? extends SpecificRecord>> ALL_TYPES = allTypes();

    private static List<Class<? extends SpecificRecord>> allTypes() {
        final List<Class<? extends SpecificRecord>> all = new ArrayList<>(SampleRecords.TYPES);
        all.addAll(List.of(ConnectorFailure.class, ConnectorQueue.class, ConnectorSignal.class, FailureEpisode.class,
            MessageArrival.class, PartitionQueue.class, PendingRecipient.class, PostfixQueueEntry.class, QueuedRecipient.class,
            StatsPartial.class));
        return all;
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("ALL_TYPES")
    @DisplayName("the serializer writes Avro's own encoding of every type, through the class's generated encoder or not,"
        + " with every optional field set and with none")
    <T extends SpecificRecord> void writesAvrosOwnEncoding(final Class<T> type) throws IOException {
        final SpecificAvroSerde<T> serde = serde(type);
        final T full = SampleRecords.filled(type, 11);
        final T sparse = SampleRecords.filled(type, 12);
        for (final Schema.Field field : sparse.getSchema().getFields()) {
            if (field.schema().isNullable()) {
                sparse.put(field.pos(), null);
            }
        }
        for (final T record : List.of(full, sparse)) {
            final byte[] bytes = serde.serializer().serialize("t", record);
            // the reference: Avro's writer as it comes, per field through the schema
            final ByteArrayOutputStream reference = new ByteArrayOutputStream();
            final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(reference, null);
            new SpecificDatumWriter<T>(record.getSchema()).write(record, encoder);
            encoder.flush();
            assertArrayEquals(reference.toByteArray(), Arrays.copyOfRange(bytes, WireFormat.HEADER_LENGTH, bytes.length));
            assertEquals(record, serde.deserializer().deserialize("t", bytes));
        }
    }

    @Test
    @DisplayName("value subjects are <topic>-value, key subjects <topic>-key (TopicNameStrategy)")
    void topicNameStrategy() {
        final SpecificAvroSerde<MessageTrace> keySerde = new SpecificAvroSerde<>(MessageTrace.class);
        keySerde.configure(config(), true);
        keySerde.serializer().serialize(TOPIC, SampleRecords.trace(1));
        serde(MessageTrace.class).serializer().serialize(TOPIC, SampleRecords.trace(1));
        assertEquals(1, registry.getLatest(TOPIC + "-key").version());
        assertEquals(1, registry.getLatest(TOPIC + "-value").version());
    }

    @Test
    @DisplayName("null stays null both ways (tombstones)")
    void nulls() {
        final SpecificAvroSerde<MessageTrace> serde = serde(MessageTrace.class);
        assertNull(serde.serializer().serialize(TOPIC, null));
        assertNull(serde.deserializer().deserialize(TOPIC, null));
        assertNull(genericDeserializer().deserialize(TOPIC, null));
    }

    @Test
    @DisplayName("auto.register.schemas=false writes only with a schema registered beforehand")
    void noAutoRegister() {
        final SpecificAvroSerde<MessageTrace> serde = serde(MessageTrace.class, SerdeConfig.AUTO_REGISTER_SCHEMAS, "false");
        final SerializationException e = assertThrows(SerializationException.class,
            () -> serde.serializer().serialize(TOPIC, SampleRecords.trace(1)));
        assertTrue(e.getMessage().contains(TOPIC + "-value"), e.getMessage());

        final int id = registry.register(TOPIC + "-value", MessageTrace.getClassSchema());
        final byte[] bytes = serde.serializer().serialize(TOPIC, SampleRecords.trace(1));
        assertEquals(id, WireFormat.schemaId(TOPIC, bytes));
        assertEquals(1, registry.getLatest(TOPIC + "-value").version(), "nothing registered by the serde");
    }

    @Test
    @DisplayName("a record written with an older schema is read into today's class with defaults for new fields")
    void readsOlderWriters() {
        final Schema older = withoutField(MessageTrace.getClassSchema(), "direction");
        final MessageTrace trace = SampleRecords.trace(3);
        trace.setDirection(Direction.UNKNOWN);
        final GenericRecord old = toSchema(asGeneric(trace), older);
        final GenericAvroSerializer serializer = new GenericAvroSerializer();
        serializer.configure(config(), false);

        final byte[] bytes = serializer.serialize(TOPIC, old);

        assertEquals(older, registry.getById(WireFormat.schemaId(TOPIC, bytes)));
        assertEquals(trace, serde(MessageTrace.class).deserializer().deserialize(TOPIC, bytes));
    }

    @Test
    @DisplayName("use.latest.version writes under the subject's latest id, in the latest schema, when it can read our records")
    void useLatestVersion() {
        final Schema latest = withExtraField(MessageTrace.getClassSchema(), "tenant", "\"none\"");
        final int latestId = registry.register(TOPIC + "-value", latest);
        final SpecificAvroSerde<MessageTrace> serde = serde(MessageTrace.class,
            SerdeConfig.AUTO_REGISTER_SCHEMAS, false, SerdeConfig.USE_LATEST_VERSION, true);
        final MessageTrace trace = SampleRecords.trace(5);

        final byte[] bytes = serde.serializer().serialize(TOPIC, trace);

        assertEquals(latestId, WireFormat.schemaId(TOPIC, bytes));
        final GenericRecord asWritten = genericDeserializer().deserialize(TOPIC, bytes);
        assertEquals(latest, asWritten.getSchema());
        assertEquals("none", asWritten.get("tenant").toString());
        assertEquals(trace, serde.deserializer().deserialize(TOPIC, bytes));
    }

    @Test
    @DisplayName("use.latest.version with the record's own schema as latest writes exactly what auto-registration would")
    void useLatestVersionSameSchema() {
        final int id = registry.register(TOPIC + "-value", MessageTrace.getClassSchema());
        final MessageTrace trace = SampleRecords.trace(6);
        final byte[] viaLatest = serde(MessageTrace.class, SerdeConfig.USE_LATEST_VERSION, "true")
            .serializer().serialize(TOPIC, trace);
        final byte[] viaRegister = serde(MessageTrace.class).serializer().serialize(TOPIC, trace);
        assertEquals(id, WireFormat.schemaId(TOPIC, viaLatest));
        assertEquals(java.util.Arrays.toString(viaRegister), java.util.Arrays.toString(viaLatest));
    }

    @Test
    @DisplayName("use.latest.version refuses a latest schema that cannot read our records (latest.compatibility.strict)")
    void useLatestVersionStrict() {
        registry.setCompatibility(TOPIC + "-value", "NONE");
        registry.register(TOPIC + "-value", withExtraField(MessageTrace.getClassSchema(), "tenant", null));
        final SerializationException e = assertThrows(SerializationException.class,
            () -> serde(MessageTrace.class, SerdeConfig.USE_LATEST_VERSION, "true")
                .serializer().serialize(TOPIC, SampleRecords.trace(1)));
        assertTrue(e.getMessage().contains("cannot read"), e.getMessage());
    }

    @Test
    @DisplayName("bytes that are not in the wire format, or name an unknown schema id, fail with a SerializationException")
    void badInput() {
        final SpecificAvroSerde<MessageTrace> serde = serde(MessageTrace.class);
        assertThrows(SerializationException.class, () -> serde.deserializer().deserialize(TOPIC, "{\"json\":1}".getBytes()));
        final SerializationException unknownId = assertThrows(SerializationException.class,
            () -> serde.deserializer().deserialize(TOPIC, new byte[] {0, 0, 0, 0x7f, 0x7f, 2}));
        assertTrue(unknownId.getMessage().contains(String.valueOf(0x7f7f)), unknownId.getMessage());
        final byte[] truncated = java.util.Arrays.copyOf(serde.serializer().serialize(TOPIC, SampleRecords.trace(1)), 12);
        assertThrows(SerializationException.class, () -> serde.deserializer().deserialize(TOPIC, truncated));
    }

    @Test
    @DisplayName("an unconfigured serde says so instead of failing with a NullPointerException")
    void unconfigured() {
        final IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> new SpecificAvroSerde<>(MessageTrace.class).serializer().serialize(TOPIC, SampleRecords.trace(1)));
        assertTrue(e.getMessage().contains("configure"));
    }

    @Test
    @DisplayName("one serde used from many threads writes and reads every record intact")
    void concurrentUse() throws Exception {
        final SpecificAvroSerde<MessageTrace> serde = serde(MessageTrace.class);
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            final java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final int thread = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        final MessageTrace trace = SampleRecords.trace(thread * 1000L + i);
                        if (!trace.equals(serde.deserializer().deserialize(TOPIC, serde.serializer().serialize(TOPIC, trace)))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (final java.util.concurrent.Future<Boolean> result : results) {
                assertEquals(true, result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static GenericRecord asGeneric(final SpecificRecord record) {
        try {
            final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            final org.apache.avro.io.BinaryEncoder encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
            new SpecificDatumWriter<SpecificRecord>(record.getSchema()).write(record, encoder);
            encoder.flush();
            return new GenericDatumReader<GenericRecord>(record.getSchema())
                .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static GenericRecord toSchema(final GenericRecord record, final Schema target) {
        final GenericData.Record copy = new GenericData.Record(target);
        for (final Schema.Field field : target.getFields()) {
            copy.put(field.name(), record.get(field.name()));
        }
        return copy;
    }

    static Schema withoutField(final Schema schema, final String field) {
        try {
            final ObjectNode json = (ObjectNode) JSON.readTree(schema.toString());
            final Iterator<com.fasterxml.jackson.databind.JsonNode> fields = ((ArrayNode) json.get("fields")).elements();
            while (fields.hasNext()) {
                if (fields.next().path("name").asText().equals(field)) {
                    fields.remove();
                }
            }
            return new Schema.Parser().parse(json.toString());
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The schema with one more string field; defaultJson null for a field without default. */
    static Schema withExtraField(final Schema schema, final String field, final String defaultJson) {
        try {
            final ObjectNode json = (ObjectNode) JSON.readTree(schema.toString());
            final ObjectNode added = ((ArrayNode) json.get("fields")).addObject().put("name", field).put("type", "string");
            if (defaultJson != null) {
                added.set("default", JSON.readTree(defaultJson));
            }
            return new Schema.Parser().parse(json.toString());
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
