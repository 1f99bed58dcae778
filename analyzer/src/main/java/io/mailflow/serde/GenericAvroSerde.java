package io.mailflow.serde;

import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Serde of GenericRecord in the Confluent wire format: {@link GenericAvroSerializer} and {@link GenericAvroDeserializer}. */
public final class GenericAvroSerde implements Serde<GenericRecord> {
    private final GenericAvroSerializer serializer = new GenericAvroSerializer();
    private final GenericAvroDeserializer deserializer = new GenericAvroDeserializer();

    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<GenericRecord> serializer() {
        return serializer::serialize;
    }

    @Override
    public Deserializer<GenericRecord> deserializer() {
        return deserializer;
    }
}
