package io.mailflow.serde;

import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.function.IntConsumer;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Records per second on one thread (one core) for MessageTrace: mailflow's serde (wire format,
 * cached id, reused buffers) next to plain Avro binary encoding of the same record, so the
 * serde's own overhead shows as the ratio. Not a test; run it from the repository root:
 *
 * <pre>
 * mvn -q -B -pl analyzer -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -cp analyzer/target/test-classes:analyzer/target/classes:schemas/target/classes:$(cat /tmp/cp.txt) \
 *     io.mailflow.serde.SerdeThroughput [seconds-per-operation, default 7]
 * </pre>
 */
public final class SerdeThroughput {
    private static volatile Object sink;

    private SerdeThroughput() {
    }

    public static void main(final String[] args) throws IOException {
        final double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 7;
        final MessageTrace[] traces = new MessageTrace[1024];
        for (int i = 0; i < traces.length; i++) {
            traces[i] = trace(i);
        }
        final SpecificAvroSerde<MessageTrace> serde = new SpecificAvroSerde<>(MessageTrace.class);
        serde.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://throughput"), false);
        final Serializer<MessageTrace> serializer = serde.serializer();
        final Deserializer<MessageTrace> deserializer = serde.deserializer();
        final GenericAvroDeserializer generic = new GenericAvroDeserializer();
        generic.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://throughput"), false);
        final byte[][] encoded = new byte[traces.length][];
        long totalBytes = 0;
        for (int i = 0; i < traces.length; i++) {
            encoded[i] = serializer.serialize("mailflow.traces", traces[i]);
            totalBytes += encoded[i].length;
        }
        System.out.printf("MessageTrace, %d bytes on average in the wire format, %.1f s per operation, 1 thread%n",
            totalBytes / traces.length, seconds);

        final SpecificDatumWriter<MessageTrace> plainWriter = new SpecificDatumWriter<>(MessageTrace.class);
        final SpecificDatumReader<MessageTrace> plainReader = new SpecificDatumReader<>(MessageTrace.class);
        final ByteArrayOutputStream plainOut = new ByteArrayOutputStream(512);
        final BinaryEncoder[] plainEncoder = {null};
        final BinaryDecoder[] plainDecoder = {null};
        final byte[][] plain = new byte[traces.length][];
        for (int i = 0; i < traces.length; i++) {
            plain[i] = java.util.Arrays.copyOfRange(encoded[i], WireFormat.HEADER_LENGTH, encoded[i].length);
        }

        final Map<String, IntConsumer> operations = new java.util.LinkedHashMap<>();
        operations.put("plain Avro encode  ", i -> {
            plainOut.reset();
            plainEncoder[0] = EncoderFactory.get().binaryEncoder(plainOut, plainEncoder[0]);
            try {
                plainWriter.write(traces[i & 1023], plainEncoder[0]);
                plainEncoder[0].flush();
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
            sink = plainOut.toByteArray();
        });
        operations.put("serde serialize    ", i -> sink = serializer.serialize("mailflow.traces", traces[i & 1023]));
        operations.put("plain Avro decode  ", i -> {
            plainDecoder[0] = DecoderFactory.get().binaryDecoder(plain[i & 1023], plainDecoder[0]);
            try {
                sink = plainReader.read(null, plainDecoder[0]);
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
        operations.put("serde deserialize  ", i -> sink = deserializer.deserialize("mailflow.traces", encoded[i & 1023]));
        operations.put("generic deserialize", i -> sink = generic.deserialize("mailflow.traces", encoded[i & 1023]));

        // interleaved slices, so that load from other processes hits every operation alike
        final int rounds = 7;
        final Map<String, double[]> rates = new java.util.LinkedHashMap<>();
        operations.keySet().forEach(name -> rates.put(name, new double[rounds]));
        for (final IntConsumer operation : operations.values()) {
            rate(1.0, operation);
        }
        for (int round = 0; round < rounds; round++) {
            for (final Map.Entry<String, IntConsumer> operation : operations.entrySet()) {
                rates.get(operation.getKey())[round] = rate(seconds / rounds, operation.getValue());
            }
        }
        System.out.printf("%-20s %14s %14s%n", "records/s", "median", "best slice");
        for (final Map.Entry<String, double[]> rate : rates.entrySet()) {
            final double[] sorted = rate.getValue().clone();
            java.util.Arrays.sort(sorted);
            System.out.printf("%-20s %,14.0f %,14.0f%n", rate.getKey(), sorted[rounds / 2], sorted[rounds - 1]);
        }
        MockSchemaRegistry.dropScope("throughput");
    }

    private static double rate(final double seconds, final IntConsumer operation) {
        final long start = System.nanoTime();
        final long deadline = start + (long) (seconds * 1e9);
        long count = 0;
        do {
            for (int i = 0; i < 1024; i++) {
                operation.accept(i);
            }
            count += 1024;
        } while (System.nanoTime() < deadline);
        return count / ((System.nanoTime() - start) / 1e9);
    }

    /** A typical Exchange deferral as the ingest parsers produce it. */
    private static MessageTrace trace(final int i) {
        return MessageTrace.newBuilder()
            .setEventTime(Instant.ofEpochMilli(1_764_540_000_000L + i * 37L))
            .setEventType(i % 3 == 0 ? EventType.DEFER : EventType.SEND)
            .setMessageId("<" + Integer.toHexString(i * 7919) + ".a1b2c3@mail.contoso.com>")
            .setNetworkMessageId("5f0c9e7a-1b2c-4d3e-9f10-" + String.format("%012x", i))
            .setInternalMessageId(Integer.toString(100_000 + i))
            .setSender("alerts@contoso.com")
            .setReturnPath("alerts@contoso.com")
            .setRecipient("user" + (i % 97) + "@fabrikam.example")
            .setConnectorId("Outbound to Fabrikam")
            .setSourceServer("EX01")
            .setRemoteHost("mx" + (i % 3) + ".fabrikam.example")
            .setRemoteIp("203.0.113." + (i % 250) + ":25")
            .setSmtpReply(i % 3 == 0 ? "450" : "250")
            .setStatusCode(i % 3 == 0 ? "4.4.316" : "2.0.0")
            .setResponseText(i % 3 == 0 ? "450 4.4.316 Connection refused [Message=Socket error code 10061]" : "250 2.0.0 OK")
            .setSubject(null)
            .setSizeBytes(24_576L + i)
            .setDirection(Direction.ORIGINATING)
            .setProvenance(Provenance.newBuilder().setFormat("exchange-msgtrk")
                .setFile("MSGTRKMS2026113010-1.LOG").setLine((long) i).build())
            .build();
    }
}
