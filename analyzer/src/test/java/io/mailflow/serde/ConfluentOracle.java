package io.mailflow.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.avro.AvroSchema;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.CachedSchemaRegistryClient;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.MockSchemaRegistryClient;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.SchemaRegistryClient;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.SchemaMetadata;
import org.apache.flink.avro.shaded.org.apache.avro.Schema;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericDatumReader;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericDatumWriter;
import org.apache.flink.avro.shaded.org.apache.avro.io.BinaryEncoder;
import org.apache.flink.avro.shaded.org.apache.avro.io.DecoderFactory;
import org.apache.flink.avro.shaded.org.apache.avro.io.EncoderFactory;
import org.apache.flink.avro.shaded.org.apache.avro.io.JsonEncoder;

/**
 * Confluent's own Java registry client (7.5.3, as relocated inside flink-sql-avro-confluent-registry)
 * with the Avro it was built with, as an oracle for mailflow's client and wire format. Loaded only
 * through {@link ConfluentOracleLoader}'s isolated class loader — the bundle carries unrelocated
 * Guava, snappy and zstd classes that must not meet the test classpath — so every method takes and
 * returns JDK types only: schemas as JSON, records in Avro's JSON encoding, Kafka values as bytes.
 */
public final class ConfluentOracle {
    private final SchemaRegistryClient client;

    /** Confluent's REST client for the URL, or Confluent's in-memory MockSchemaRegistryClient for {@code mock://}. */
    public ConfluentOracle(final String registryUrl) {
        this.client = registryUrl.startsWith("mock://") ? new MockSchemaRegistryClient()
            : new CachedSchemaRegistryClient(registryUrl, 100);
    }

    /**
     * One registry operation as a line of text, errors included ("error 409/409"), so that a
     * sequence of operations gives a transcript to compare with another registry's.
     * Operations: register, getId, latest, getById, testCompatibility, setCompatibility.
     */
    public String transcribe(final String operation, final String subject, final String argument) throws Exception {
        try {
            return switch (operation) {
                case "register" -> "id " + client.register(subject, new AvroSchema(argument));
                case "getId" -> "id " + client.getId(subject, new AvroSchema(argument));
                case "latest" -> {
                    final SchemaMetadata latest = client.getLatestSchemaMetadata(subject);
                    yield "version " + latest.getVersion() + " id " + latest.getId();
                }
                case "getById" -> "schema " + client.getSchemaById(Integer.parseInt(argument)).canonicalString();
                case "testCompatibility" -> "compatible " + client.testCompatibility(subject, new AvroSchema(argument));
                case "setCompatibility" -> "level " + client.updateCompatibility(subject, argument);
                default -> throw new IllegalArgumentException(operation);
            };
        } catch (final RestClientException e) {
            return "error " + e.getStatus() + "/" + e.getErrorCode();
        }
    }

    public int register(final String subject, final String schemaJson) throws Exception {
        return client.register(subject, new AvroSchema(schemaJson));
    }

    public int getId(final String subject, final String schemaJson) throws Exception {
        return client.getId(subject, new AvroSchema(schemaJson));
    }

    public String schemaById(final int id) throws Exception {
        return client.getSchemaById(id).canonicalString();
    }

    /** {id, version} of the subject's latest version. */
    public int[] latest(final String subject) throws Exception {
        final SchemaMetadata metadata = client.getLatestSchemaMetadata(subject);
        return new int[] {metadata.getId(), metadata.getVersion()};
    }

    /**
     * The Kafka value Confluent's KafkaAvroSerializer writes for this record: magic byte, the id
     * the client gets for (subject, schema), Avro binary. (The bundle has the client but not the
     * serializer; this is the serializer's format, byte for byte.)
     */
    public byte[] serialize(final String subject, final String schemaJson, final String recordAvroJson) throws Exception {
        final AvroSchema schema = new AvroSchema(schemaJson);
        final int id = client.getId(subject, schema);
        final Schema raw = schema.rawSchema();
        final Object record = new GenericDatumReader<>(raw).read(null, DecoderFactory.get().jsonDecoder(raw, recordAvroJson));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<>(raw).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    /** Decodes a Kafka value as KafkaAvroDeserializer does, with the writer schema the client fetches by id. */
    public String deserialize(final byte[] value) throws Exception {
        final ByteBuffer buffer = ByteBuffer.wrap(value);
        if (buffer.get() != 0) {
            throw new IOException("Unknown magic byte");
        }
        final int id = buffer.getInt();
        final Schema writer = ((AvroSchema) client.getSchemaById(id)).rawSchema();
        final Object record = new GenericDatumReader<>(writer)
            .read(null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final JsonEncoder encoder = EncoderFactory.get().jsonEncoder(writer, out);
        new GenericDatumWriter<>(writer).write(record, encoder);
        encoder.flush();
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
