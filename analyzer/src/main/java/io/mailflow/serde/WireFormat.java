package io.mailflow.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The Confluent wire format: magic byte 0, the writer schema's registry id as a 4-byte
 * big-endian int, then the Avro binary encoding of the record.
 */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_LENGTH = 5;

    private WireFormat() {
    }

    /** Writes the 5-byte header at the start of target. */
    public static void writeHeader(final byte[] target, final int schemaId) {
        target[0] = MAGIC_BYTE;
        target[1] = (byte) (schemaId >>> 24);
        target[2] = (byte) (schemaId >>> 16);
        target[3] = (byte) (schemaId >>> 8);
        target[4] = (byte) schemaId;
    }

    /** The writer schema id of a record in the wire format; fails on anything else. */
    public static int schemaId(final String topic, final byte[] bytes) {
        if (bytes.length < HEADER_LENGTH || bytes[0] != MAGIC_BYTE) {
            throw new SerializationException("Not in the Confluent wire format (magic byte 0 + 4-byte schema id) on topic "
                + topic + ": " + bytes.length + " bytes, first byte " + (bytes.length == 0 ? "none" : bytes[0]));
        }
        return ((bytes[1] & 0xff) << 24) | ((bytes[2] & 0xff) << 16) | ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff);
    }
}
