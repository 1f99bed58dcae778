package io.mailflow.emit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.IndexedRecord;

/**
 * Renders Avro records as plain JSON for people and for `jq`: field names as in the schema, in
 * schema order; timestamps as ISO-8601 UTC; enums by symbol; unions as their value (not Avro's
 * {"type": value} wrapping). Deterministic, so two replays give byte-identical files.
 */
public final class AvroJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private AvroJson() {
    }

    public static String toJson(final IndexedRecord record) {
        final StringWriter out = new StringWriter(512);
        try (JsonGenerator gen = FACTORY.createGenerator(out)) {
            write(gen, record.getSchema(), record);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void write(final JsonGenerator gen, final Schema schema, final Object value) throws IOException {
        if (value == null) {
            gen.writeNull();
            return;
        }
        switch (schema.getType()) {
            case UNION -> write(gen, branchOf(schema, value), value);
            case RECORD -> {
                final IndexedRecord record = (IndexedRecord) value;
                gen.writeStartObject();
                for (final Schema.Field field : schema.getFields()) {
                    gen.writeFieldName(field.name());
                    write(gen, field.schema(), record.get(field.pos()));
                }
                gen.writeEndObject();
            }
            case ARRAY -> {
                gen.writeStartArray();
                for (final Object item : (Collection<?>) value) {
                    write(gen, schema.getElementType(), item);
                }
                gen.writeEndArray();
            }
            case MAP -> {
                gen.writeStartObject();
                for (final Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    gen.writeFieldName(e.getKey().toString());
                    write(gen, schema.getValueType(), e.getValue());
                }
                gen.writeEndObject();
            }
            case LONG -> writeLong(gen, schema.getLogicalType(), value);
            case INT -> gen.writeNumber(((Number) value).intValue());
            case FLOAT, DOUBLE -> gen.writeNumber(((Number) value).doubleValue());
            case BOOLEAN -> gen.writeBoolean((Boolean) value);
            case BYTES -> gen.writeString(HexFormat.of().formatHex(bytes((ByteBuffer) value)));
            case FIXED -> gen.writeString(HexFormat.of().formatHex(((GenericData.Fixed) value).bytes()));
            default -> gen.writeString(value.toString()); // STRING, ENUM
        }
    }

    /** The branch of a union a non-null value belongs to; ours are all [null, X], which needs no lookup. */
    private static Schema branchOf(final Schema union, final Object value) {
        final java.util.List<Schema> types = union.getTypes();
        if (types.size() == 2 && types.get(0).getType() == Schema.Type.NULL) {
            return types.get(1);
        }
        if (types.size() == 2 && types.get(1).getType() == Schema.Type.NULL) {
            return types.get(0);
        }
        return types.get(org.apache.avro.specific.SpecificData.get().resolveUnion(union, value));
    }

    private static void writeLong(final JsonGenerator gen, final LogicalType logical, final Object value) throws IOException {
        if (value instanceof Instant instant) {
            gen.writeString(instant.toString());
        } else if (logical instanceof LogicalTypes.TimestampMillis) {
            gen.writeString(Instant.ofEpochMilli(((Number) value).longValue()).toString());
        } else if (logical instanceof LogicalTypes.TimestampMicros) {
            final long micros = ((Number) value).longValue();
            gen.writeString(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L).toString());
        } else {
            gen.writeNumber(((Number) value).longValue());
        }
    }

    private static byte[] bytes(final ByteBuffer buffer) {
        final ByteBuffer b = buffer.duplicate();
        final byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
