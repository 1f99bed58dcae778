package io.mailflow.serde;

import java.util.Map;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads any record in the Confluent wire format as a GenericRecord in its writer's schema, fetched
 * from the registry by the id in the record: for tools that show any topic (e.g. as JSON through
 * {@code record.toString()}) without knowing its type. Usable as {@code value.deserializer}.
 */
public final class GenericAvroDeserializer implements Deserializer<GenericRecord> {
    private AvroWireReader<GenericRecord> reader;

    public GenericAvroDeserializer() {
    }

    /** A deserializer already configured with this registry. */
    public GenericAvroDeserializer(final SchemaRegistryClient registry) {
        this.reader = new AvroWireReader<>(registry, GenericDatumReader::new);
    }

    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        this.reader = new AvroWireReader<>(SchemaRegistries.fromConfig(configs), GenericDatumReader::new);
    }

    @Override
    public GenericRecord deserialize(final String topic, final byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (reader == null) {
            throw new IllegalStateException("GenericAvroDeserializer used before configure()");
        }
        return reader.read(topic, bytes);
    }
}
