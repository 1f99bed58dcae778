package io.mailflow.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro serde for generated SpecificRecord classes in the Confluent wire format:
 * magic byte 0, the 4-byte big-endian schema id, then Avro binary.
 */
public final class SpecificAvroSerde<T extends SpecificRecord> implements Serde<T> {
    private static final byte MAGIC_BYTE = 0;

    private final Class<T> type;
    private final Schema schema;
    private SchemaRegistryClient registry;
    private String subjectSuffix = "-value";
    private boolean autoRegister = true;
    private final Map<String, Integer> idBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, SpecificDatumReader<T>> readersByWriterId = new ConcurrentHashMap<>();
    private final SpecificDatumWriter<T> writer;

    public SpecificAvroSerde(final Class<T> type) {
        this.type = type;
        this.schema = SpecificData.get().getSchema(type);
        this.writer = new SpecificDatumWriter<>(schema);
    }

    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        this.registry = SchemaRegistries.fromConfig(configs);
        this.subjectSuffix = isKey ? "-key" : "-value";
        final Object auto = configs.get(SerdeConfig.AUTO_REGISTER_SCHEMAS);
        this.autoRegister = auto == null || Boolean.parseBoolean(auto.toString());
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, data) -> data == null ? null : serialize(topic, data);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> bytes == null ? null : deserialize(topic, bytes);
    }

    private byte[] serialize(final String topic, final T data) {
        final String subject = topic + subjectSuffix;
        final int id = idBySubject.computeIfAbsent(subject,
            s -> autoRegister ? registry.register(s, schema) : registry.getId(s, schema));
        try {
            final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write(MAGIC_BYTE);
            out.write(ByteBuffer.allocate(4).putInt(id).array());
            final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(data, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (final IOException | RuntimeException e) {
            throw new SerializationException("Cannot serialize " + type.getSimpleName() + " for topic " + topic, e);
        }
    }

    private T deserialize(final String topic, final byte[] bytes) {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes);
        if (bytes.length < 5 || buffer.get() != MAGIC_BYTE) {
            throw new SerializationException("Not in the Confluent wire format (magic byte 0 + schema id) on topic " + topic);
        }
        final int writerId = buffer.getInt();
        final SpecificDatumReader<T> reader = readersByWriterId.computeIfAbsent(writerId,
            id -> new SpecificDatumReader<>(registry.getById(id), schema));
        try {
            final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null);
            return reader.read(null, decoder);
        } catch (final IOException | RuntimeException e) {
            throw new SerializationException("Cannot deserialize " + type.getSimpleName() + " (schema id " + writerId
                + ") from topic " + topic, e);
        }
    }
}
