package io.mailflow.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Writes records in the Confluent wire format and decides, as Confluent's serializer does, which
 * schema id they carry: the record's own schema, registered on first use
 * ({@code auto.register.schemas=true}, the default) or looked up ({@code false}); or the subject's
 * latest schema ({@code use.latest.version=true}), refused when it cannot read the record's data
 * ({@code latest.compatibility.strict}, default true). The subject is {@code <topic>-key} or
 * {@code <topic>-value} (TopicNameStrategy). The id is resolved once per subject and schema; the
 * hot path is a map lookup and an encode into a reused per-thread buffer.
 */
final class AvroWireWriter {
    private static final byte[] HEADER_PLACEHOLDER = new byte[WireFormat.HEADER_LENGTH];
    private final SchemaRegistryClient registry;
    private final String subjectSuffix;
    private final boolean autoRegister;
    private final boolean useLatestVersion;
    private final boolean latestCompatibilityStrict;
    private final Function<Schema, DatumWriter<Object>> writerFactory;
    /** By topic (not subject, which would cost a string concatenation per record), then by record schema. */
    private final Map<String, Map<Schema, Target>> targets = new ConcurrentHashMap<>();
    private final ThreadLocal<Buffer> buffers = ThreadLocal.withInitial(Buffer::new);

    /** The id a record is written with, and how: directly with its own schema, or re-encoded in the latest schema. */
    private record Target(int id, Schema recordSchema, Schema writtenSchema, DatumWriter<Object> writer,
                          GenericDatumReader<Object> toWrittenSchema) {
    }

    /** A growable buffer whose array is reused across records of one thread. */
    private static final class Buffer extends ByteArrayOutputStream {
        private BinaryEncoder encoder;

        Buffer() {
            super(256);
        }
    }

    AvroWireWriter(final SchemaRegistryClient registry, final Map<String, ?> configs, final boolean isKey,
                   final Function<Schema, DatumWriter<Object>> writerFactory) {
        this.registry = registry;
        this.subjectSuffix = isKey ? "-key" : "-value";
        this.autoRegister = SerdeConfig.getBoolean(configs, SerdeConfig.AUTO_REGISTER_SCHEMAS, true);
        this.useLatestVersion = SerdeConfig.getBoolean(configs, SerdeConfig.USE_LATEST_VERSION, false);
        this.latestCompatibilityStrict = SerdeConfig.getBoolean(configs, SerdeConfig.LATEST_COMPATIBILITY_STRICT, true);
        this.writerFactory = writerFactory;
    }

    String subject(final String topic) {
        return topic + subjectSuffix;
    }

    byte[] write(final String topic, final Schema recordSchema, final Object record) {
        final Target target;
        try {
            target = target(topic, recordSchema);
        } catch (final SchemaRegistryException e) {
            throw new SerializationException("Cannot get a schema id for subject " + subject(topic) + ": " + e.getMessage(), e);
        }
        try {
            final Object written = target.toWrittenSchema == null ? record : transcode(target, record);
            return encode(target.id, target.writer, written);
        } catch (final IOException | RuntimeException e) {
            throw new SerializationException("Cannot serialize " + recordSchema.getFullName() + " for topic " + topic, e);
        }
    }

    private Target target(final String topic, final Schema recordSchema) {
        final Map<Schema, Target> bySchema = targets.computeIfAbsent(topic, t -> new ConcurrentHashMap<>());
        if (useLatestVersion) {
            final String subject = subject(topic);
            // asked every time: the registry client caches the latest version for latest.cache.ttl.sec
            final SchemaRegistryClient.RegisteredSchema latest = registry.getLatest(subject);
            final Target cached = bySchema.get(recordSchema);
            if (cached != null && cached.id == latest.id()) {
                return cached;
            }
            final Target target = latestTarget(subject, recordSchema, latest);
            bySchema.put(recordSchema, target);
            return target;
        }
        final Target cached = bySchema.get(recordSchema);
        if (cached != null) {
            return cached;
        }
        final String subject = subject(topic);
        final int id = autoRegister ? registry.register(subject, recordSchema) : registry.getId(subject, recordSchema);
        final Target target = new Target(id, recordSchema, recordSchema, writerFactory.apply(recordSchema), null);
        bySchema.put(recordSchema, target);
        return target;
    }

    private Target latestTarget(final String subject, final Schema recordSchema,
                                final SchemaRegistryClient.RegisteredSchema latest) {
        final Schema latestSchema = latest.schema();
        if (latestSchema.equals(recordSchema)) {
            return new Target(latest.id(), recordSchema, recordSchema, writerFactory.apply(recordSchema), null);
        }
        if (latestCompatibilityStrict && SchemaCompatibility.checkReaderWriterCompatibility(latestSchema, recordSchema)
            .getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new SerializationException("The latest schema of subject " + subject + " (id " + latest.id()
                + ", version " + latest.version() + ") cannot read records of " + recordSchema.getFullName()
                + " as this program writes them; set " + SerdeConfig.LATEST_COMPATIBILITY_STRICT + "=false to write anyway");
        }
        // the bytes must be in the schema the id names, so records are re-encoded through Avro's schema resolution
        return new Target(latest.id(), recordSchema, latestSchema, new GenericDatumWriter<>(latestSchema),
            new GenericDatumReader<>(recordSchema, latestSchema));
    }

    private Object transcode(final Target target, final Object record) throws IOException {
        final byte[] own = encode(0, writerFactory.apply(target.recordSchema), record);
        return target.toWrittenSchema.read(null,
            DecoderFactory.get().binaryDecoder(own, WireFormat.HEADER_LENGTH, own.length - WireFormat.HEADER_LENGTH, null));
    }

    private byte[] encode(final int id, final DatumWriter<Object> writer, final Object record) throws IOException {
        final Buffer buffer = buffers.get();
        buffer.reset();
        buffer.write(HEADER_PLACEHOLDER, 0, WireFormat.HEADER_LENGTH);
        buffer.encoder = EncoderFactory.get().binaryEncoder(buffer, buffer.encoder);
        writer.write(record, buffer.encoder);
        buffer.encoder.flush();
        final byte[] bytes = buffer.toByteArray();
        WireFormat.writeHeader(bytes, id);
        return bytes;
    }
}
