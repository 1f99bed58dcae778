package io.mailflow.serde;

import java.util.Map;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serializes any Avro record (GenericRecord or SpecificRecord) in the Confluent wire format under
 * the schema the record carries. Usable as {@code value.serializer} in producer configs.
 */
public final class GenericAvroSerializer implements Serializer<GenericContainer> {
    private AvroWireWriter writer;

    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        this.writer = new AvroWireWriter(SchemaRegistries.fromConfig(configs), configs, isKey, GenericDatumWriter::new);
    }

    @Override
    public byte[] serialize(final String topic, final GenericContainer record) {
        if (record == null) {
            return null;
        }
        if (writer == null) {
            throw new IllegalStateException("GenericAvroSerializer used before configure()");
        }
        return writer.write(topic, record.getSchema(), record);
    }
}
