package io.mailflow.emit;

import io.mailflow.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Builds {@link DeadLetter} records. The raw input is kept as text when it is UTF-8 and as hex
 * otherwise, cut to {@link #MAX_RAW_CHARS} so one huge poison record cannot blow up the topic.
 */
public final class DeadLetters {
    public static final int MAX_RAW_CHARS = 8 * 1024;

    public static final String STAGE_PARSE = "parse";
    public static final String STAGE_DESERIALIZE = "deserialize";
    public static final String STAGE_PROCESS = "process";
    public static final String STAGE_PRODUCE = "produce";

    private DeadLetters() {
    }

    /** A dead letter for a log line: source is {@code file:line}. */
    public static DeadLetter forLine(final String file, final long line, final String reason, final String raw, final long time) {
        return build(file + ":" + line, reason, raw, STAGE_PARSE, time);
    }

    /** A dead letter for a Kafka record: source is {@code topic/partition/offset}. */
    public static DeadLetter forRecord(final String topic, final int partition, final long offset, final String reason,
                                       final byte[] raw, final String stage, final long time) {
        return build(topic + "/" + partition + "/" + offset, reason, rawText(raw), stage, time);
    }

    static DeadLetter build(final String source, final String reason, final String raw, final String stage, final long time) {
        final boolean truncated = raw != null && raw.length() > MAX_RAW_CHARS;
        return DeadLetter.newBuilder()
            .setSource(source)
            .setReason(reason == null || reason.isBlank() ? "unknown error" : reason)
            .setRaw(truncated ? raw.substring(0, MAX_RAW_CHARS) : raw)
            .setRawTruncated(truncated)
            .setStage(stage)
            .setEventTime(Instant.ofEpochMilli(time))
            .build();
    }

    /** UTF-8 text when the bytes decode cleanly, else {@code hex:...}. */
    static String rawText(final byte[] raw) {
        if (raw == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(raw))
                .toString()
                .chars().allMatch(c -> c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
                ? new String(raw, StandardCharsets.UTF_8)
                : "hex:" + HexFormat.of().formatHex(raw, 0, Math.min(raw.length, MAX_RAW_CHARS / 2));
        } catch (final CharacterCodingException e) {
            return "hex:" + HexFormat.of().formatHex(raw, 0, Math.min(raw.length, MAX_RAW_CHARS / 2));
        }
    }

    /** The message of an exception and its causes, one line, for the reason field. */
    public static String reasonOf(final Throwable error) {
        final StringBuilder sb = new StringBuilder();
        Throwable t = error;
        while (t != null && sb.length() < 1000) {
            if (sb.length() > 0) {
                sb.append(": ");
            }
            sb.append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
            t = t.getCause() == t ? null : t.getCause();
        }
        return sb.toString();
    }
}
