package io.mailflow.queue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mailflow.avro.NonDeliveryReport;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;

/**
 * Reads a {@link NonDeliveryReport} from one JSON object whose field names are the Avro schema's
 * and whose timestamp-millis fields are ISO-8601 UTC strings (epoch milliseconds are accepted
 * too). Driven by the schema, so a field added to the contract needs no change here.
 */
final class NdrJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private NdrJson() {
    }

    static NonDeliveryReport parse(final String line) {
        final JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (final JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        final NonDeliveryReport ndr = new NonDeliveryReport();
        for (final Schema.Field field : NonDeliveryReport.getClassSchema().getFields()) {
            final JsonNode value = node.get(field.name());
            ndr.put(field.pos(), value == null || value.isNull() ? defaultOf(field) : convert(field, nonNull(field.schema()), value));
        }
        return ndr;
    }

    private static Object defaultOf(final Schema.Field field) {
        if (!field.hasDefaultValue()) {
            throw new IllegalArgumentException("missing required field '" + field.name() + "'");
        }
        return SpecificData.get().getDefaultValue(field);
    }

    private static Object convert(final Schema.Field field, final Schema schema, final JsonNode value) {
        if (schema.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
            if (value.isNumber()) {
                return Instant.ofEpochMilli(value.asLong());
            }
            try {
                return Instant.parse(value.asText());
            } catch (final DateTimeParseException e) {
                throw new IllegalArgumentException("field '" + field.name() + "' is not an ISO-8601 instant: " + value.asText(), e);
            }
        }
        return switch (schema.getType()) {
            case STRING -> value.asText();
            case INT -> {
                if (!value.canConvertToInt()) {
                    throw new IllegalArgumentException("field '" + field.name() + "' is not a whole number: " + value);
                }
                yield value.asInt();
            }
            case LONG -> value.asLong();
            case BOOLEAN -> value.asBoolean();
            case ENUM -> {
                if (!schema.hasEnumSymbol(value.asText())) {
                    throw new IllegalArgumentException("field '" + field.name() + "' must be one of " + schema.getEnumSymbols() + ", got " + value);
                }
                yield SpecificData.get().createEnum(value.asText(), schema);
            }
            default -> throw new IllegalArgumentException("field '" + field.name() + "' has unsupported type " + schema.getType());
        };
    }

    private static Schema nonNull(final Schema schema) {
        if (schema.getType() != Schema.Type.UNION) {
            return schema;
        }
        return schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).findFirst().orElse(schema);
    }
}
