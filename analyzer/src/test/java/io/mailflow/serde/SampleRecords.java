package io.mailflow.serde;

import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Conversion;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Fully populated records of every type mailflow writes, built from the schemas themselves so
 * that a field added to a schema is covered without touching the tests: every optional field
 * set (the non-null branch of each union), strings that name their field, numbers that differ
 * per field, timestamps as Instants.
 */
final class SampleRecords {
    /** Every public record type and the internal ones that cross topics. */
    static final List<Class<? extends SpecificRecord>> TYPES = List.of(MessageTrace.class, ConnectorAlert.class,
        ConnectorStats.class, DeadLetter.class, DelayNotice.class, NonDeliveryReport.class, ConnectorQueueSnapshot.class);

    private SampleRecords() {
    }

    static <T extends SpecificRecord> T filled(final Class<T> type, final long seed) {
        final Schema schema = SpecificData.get().getSchema(type);
        @SuppressWarnings("unchecked")
        final T record = (T) SpecificData.get().newRecord(null, schema);
        fill(record, schema, seed);
        return record;
    }

    static MessageTrace trace(final long seed) {
        return filled(MessageTrace.class, seed);
    }

    private static void fill(final SpecificRecord record, final Schema schema, final long seed) {
        for (final Schema.Field field : schema.getFields()) {
            final Conversion<?> conversion = record instanceof SpecificRecordBase base ? base.getConversion(field.pos()) : null;
            record.put(field.pos(), value(field.schema(), field.name(), seed + field.pos(), conversion));
        }
    }

    private static Object value(final Schema schema, final String name, final long seed, final Conversion<?> conversion) {
        switch (schema.getType()) {
            case UNION -> {
                for (final Schema branch : schema.getTypes()) {
                    if (branch.getType() != Schema.Type.NULL) {
                        return value(branch, name, seed, conversion);
                    }
                }
                return null;
            }
            case RECORD -> {
                final SpecificRecord nested = (SpecificRecord) SpecificData.get().newRecord(null, schema);
                fill(nested, schema, seed * 31);
                return nested;
            }
            case ENUM -> {
                final List<String> symbols = schema.getEnumSymbols();
                return SpecificData.get().createEnum(symbols.get((int) (seed % symbols.size())), schema);
            }
            case ARRAY -> {
                final List<Object> items = new ArrayList<>();
                items.add(value(schema.getElementType(), name, seed, null));
                items.add(value(schema.getElementType(), name, seed + 1, null));
                return items;
            }
            case MAP -> {
                final Map<String, Object> map = new HashMap<>();
                map.put(name + "-key", value(schema.getValueType(), name, seed, null));
                return map;
            }
            case STRING -> {
                return name + "-" + seed + "-é✉";
            }
            case LONG -> {
                final LogicalType logical = schema.getLogicalType();
                final long raw = 1_764_540_000_000L + seed * 1_000;
                if (logical != null) {
                    final Conversion<?> c = conversion != null ? conversion : SpecificData.get().getConversionFor(logical);
                    return c == null ? raw : Conversions.convertToLogicalType(raw, schema, logical, c);
                }
                return raw;
            }
            case INT -> {
                return (int) (seed * 7 + 3);
            }
            case BOOLEAN -> {
                return seed % 2 == 0;
            }
            case DOUBLE -> {
                return seed * 1.5;
            }
            case FLOAT -> {
                return seed * 0.5f;
            }
            default -> throw new IllegalArgumentException("No sample value for " + schema.getType() + " of field " + name);
        }
    }

    /** An Instant with millisecond precision, as timestamp-millis keeps. */
    static Instant millis(final long epochMillis) {
        return Instant.ofEpochMilli(epochMillis);
    }
}
