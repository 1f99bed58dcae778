package io.mailflow.serde;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Reads records in the Confluent wire format: fetches the writer schema by the id in the header
 * (once per id) and decodes with a reader made for it. Thread-safe.
 */
final class AvroWireReader<T> {
    private final SchemaRegistryClient registry;
    private final Function<Schema, DatumReader<T>> readerFactory;
    private final Map<Integer, DatumReader<T>> readersByWriterId = new ConcurrentHashMap<>();
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

    AvroWireReader(final SchemaRegistryClient registry, final Function<Schema, DatumReader<T>> readerFactory) {
        this.registry = registry;
        this.readerFactory = readerFactory;
    }

    T read(final String topic, final byte[] bytes) {
        final int writerId = WireFormat.schemaId(topic, bytes);
        final DatumReader<T> reader;
        try {
            reader = readersByWriterId.computeIfAbsent(writerId, id -> readerFactory.apply(registry.getById(id)));
        } catch (final RuntimeException e) {
            throw new SerializationException("Cannot get writer schema " + writerId + " for a record on topic " + topic
                + ": " + e.getMessage(), e);
        }
        try {
            final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, WireFormat.HEADER_LENGTH,
                bytes.length - WireFormat.HEADER_LENGTH, decoders.get());
            decoders.set(decoder);
            return reader.read(null, decoder);
        } catch (final IOException | RuntimeException e) {
            throw new SerializationException("Cannot deserialize a record written with schema id " + writerId
                + " on topic " + topic, e);
        }
    }
}
