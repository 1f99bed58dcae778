package io.mailflow.generate;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.mailflow.avro.MessageTrace;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.IndexedRecord;

/**
 * One JSON object per line, field names as in the Avro schema, timestamps as ISO-8601 UTC
 * strings and enums by symbol: the form people grep and {@code jq}, and that
 * {@code mailflow replay --format jsonl} reads back.
 */
public final class JsonLinesTraceWriter implements TraceSink {
    private static final JsonFactory JSON = new JsonFactory();
    private final JsonGenerator json;

    public JsonLinesTraceWriter(final OutputStream out) throws IOException {
        this.json = JSON.createGenerator(out, JsonEncoding.UTF8);
        this.json.setRootValueSeparator(null);
    }

    @Override
    public void accept(final MessageTrace trace) throws IOException {
        writeRecord(trace);
        json.writeRaw('\n');
    }

    private void writeRecord(final IndexedRecord record) throws IOException {
        json.writeStartObject();
        for (final Schema.Field field : record.getSchema().getFields()) {
            json.writeFieldName(field.name());
            writeValue(field.schema(), record.get(field.pos()));
        }
        json.writeEndObject();
    }

    private void writeValue(final Schema schema, final Object value) throws IOException {
        if (value == null) {
            json.writeNull();
            return;
        }
        switch (schema.getType()) {
            case UNION -> writeValue(branchOf(schema, value), value);
            case RECORD -> writeRecord((IndexedRecord) value);
            case LONG -> {
                if (value instanceof Instant instant) {
                    json.writeString(instant.toString());
                } else if (schema.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                    json.writeString(Instant.ofEpochMilli((Long) value).toString());
                } else {
                    json.writeNumber((Long) value);
                }
            }
            case INT -> json.writeNumber((Integer) value);
            case BOOLEAN -> json.writeBoolean((Boolean) value);
            case DOUBLE -> json.writeNumber((Double) value);
            case FLOAT -> json.writeNumber((Float) value);
            default -> json.writeString(value.toString()); // strings and enum symbols
        }
    }

    private static Schema branchOf(final Schema union, final Object value) {
        for (final Schema branch : union.getTypes()) {
            switch (branch.getType()) {
                case NULL -> { }
                case RECORD, ENUM -> {
                    if (value instanceof GenericContainer c && c.getSchema().getFullName().equals(branch.getFullName())) {
                        return branch;
                    }
                    if (value instanceof Enum<?> && branch.getType() == Schema.Type.ENUM) {
                        return branch;
                    }
                }
                case STRING -> {
                    if (value instanceof CharSequence) {
                        return branch;
                    }
                }
                case LONG -> {
                    if (value instanceof Long || value instanceof Instant) {
                        return branch;
                    }
                }
                default -> {
                    return branch;
                }
            }
        }
        throw new IllegalArgumentException("No branch of " + union + " fits " + value.getClass().getSimpleName());
    }

    @Override
    public void close() throws IOException {
        json.close();
    }
}
