package io.mailflow.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import io.mailflow.avro.MessageTrace;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WireFormatTest {
    private final String scope = "wire-" + UUID.randomUUID();

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.dropScope(scope);
    }

    @Test
    @DisplayName("the header is magic byte 0 then the schema id as a big-endian 4-byte int")
    void headerIsMagicAndBigEndianId() {
        final byte[] header = new byte[5];
        WireFormat.writeHeader(header, 0x01020304);
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4}, header);
        WireFormat.writeHeader(header, 0xCAFEBABE);
        assertArrayEquals(new byte[] {0, (byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE}, header);
        assertEquals(0xCAFEBABE, WireFormat.schemaId("t", header));
        assertEquals(0x01020304, WireFormat.schemaId("t", new byte[] {0, 1, 2, 3, 4, 99}));
    }

    @Test
    @DisplayName("anything without the magic byte or shorter than the header is refused with the topic named")
    void refusesForeignBytes() {
        final SerializationException notMagic = assertThrows(SerializationException.class,
            () -> WireFormat.schemaId("mailflow.traces", new byte[] {1, 0, 0, 0, 1, 2}));
        assertEquals(true, notMagic.getMessage().contains("mailflow.traces"));
        assertThrows(SerializationException.class, () -> WireFormat.schemaId("t", new byte[] {0, 0, 0}));
        assertThrows(SerializationException.class, () -> WireFormat.schemaId("t", new byte[0]));
    }

    @Test
    @DisplayName("a serialized record is the header with the registered id followed by plain Avro binary")
    void serializedRecordLayout() throws IOException {
        final MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);
        // take a few ids first so the record's id is not 1 and the byte order shows
        for (int i = 0; i < 300; i++) {
            registry.register("other-" + i, org.apache.avro.SchemaBuilder.record("R" + i).fields().endRecord());
        }
        final SpecificAvroSerde<MessageTrace> serde = new SpecificAvroSerde<>(MessageTrace.class);
        serde.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + scope), false);
        final MessageTrace trace = SampleRecords.trace(1);

        final byte[] bytes = serde.serializer().serialize("mailflow.traces", trace);

        final int id = registry.getId("mailflow.traces-value", MessageTrace.getClassSchema());
        assertEquals(301, id);
        assertArrayEquals(new byte[] {0, 0, 0, 1, 45}, Arrays.copyOf(bytes, 5));
        assertArrayEquals(avroBinary(trace), Arrays.copyOfRange(bytes, 5, bytes.length));
    }

    private static byte[] avroBinary(final MessageTrace trace) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(MessageTrace.class).write(trace, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
