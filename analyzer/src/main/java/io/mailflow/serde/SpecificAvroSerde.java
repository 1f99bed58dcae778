package io.mailflow.serde;

import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro serde for generated SpecificRecord classes in the Confluent wire format (see
 * {@link WireFormat}), with Confluent's configuration keys ({@link SerdeConfig}). Records written
 * with another version of the schema are resolved into this class's schema on reading.
 */
public final class SpecificAvroSerde<T extends SpecificRecord> implements Serde<T> {
    /**
     * Writes records through the encoders Avro generates into the classes (customEncode) where a
     * class has them: field by field, without the generic writer's per-field lookups and union
     * resolution (Avro leaves them off unless asked). Classes with a logical type have none and are
     * written as before, with the schemas' one conversion. The same bytes either way (AvroSerdeTest).
     */
    private static final SpecificData GENERATED_ENCODERS = generatedEncoders();

    private final Class<T> type;
    private final Schema schema;
    private AvroWireWriter writer;
    private AvroWireReader<T> reader;

    public SpecificAvroSerde(final Class<T> type) {
        this.type = type;
        this.schema = SpecificData.get().getSchema(type);
    }

    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        final SchemaRegistryClient registry = SchemaRegistries.fromConfig(configs);
        this.writer = new AvroWireWriter(registry, configs, isKey, SpecificAvroSerde::datumWriter);
        this.reader = new AvroWireReader<>(registry, writerSchema -> new SpecificDatumReader<>(writerSchema, schema));
    }

    @SuppressWarnings("unchecked")
    private static org.apache.avro.io.DatumWriter<Object> datumWriter(final Schema schema) {
        return (org.apache.avro.io.DatumWriter<Object>) (org.apache.avro.io.DatumWriter<?>) new SpecificDatumWriter<>(schema, GENERATED_ENCODERS);
    }

    private static SpecificData generatedEncoders() {
        final SpecificData data = new SpecificData();
        data.setCustomCoders(true);
        data.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        return data;
    }

    /** The schema records of this type are written with. */
    public Schema schema() {
        return schema;
    }

    public Class<T> type() {
        return type;
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, data) -> data == null ? null : configured().writer.write(topic, schema, data);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> bytes == null ? null : configured().reader.read(topic, bytes);
    }

    private SpecificAvroSerde<T> configured() {
        if (writer == null) {
            throw new IllegalStateException("SpecificAvroSerde<" + type.getSimpleName() + "> used before configure()");
        }
        return this;
    }
}
