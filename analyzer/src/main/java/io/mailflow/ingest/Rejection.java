package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import java.nio.charset.StandardCharsets;

/**
 * A line (or JSON object) that could not be turned into trace records. It never stops a replay:
 * the caller sends it to the dead-letter topic.
 *
 * @param eventTime the last event time read from the same file before this line; for a line
 *                  before the file's first good line, that line's event time, or epoch 0 when the
 *                  file has none (so a replay stays deterministic; never the wall clock)
 */
public record Rejection(String file, long line, String reason, String raw, long eventTime) {
    /** Raw text kept in a dead letter, in UTF-8 bytes. */
    public static final int MAX_RAW_BYTES = 8 * 1024;

    public String source() {
        return file + ":" + line;
    }

    public DeadLetter toDeadLetter() {
        final String text = raw == null ? "" : raw;
        final String kept = truncateUtf8(text, MAX_RAW_BYTES);
        return DeadLetter.newBuilder()
                .setSource(source())
                .setReason(reason)
                .setRaw(kept)
                .setRawTruncated(kept.length() < text.length())
                .setStage("parse")
                .setEventTime(java.time.Instant.ofEpochMilli(eventTime))
                .build();
    }

    /** Cuts at a character boundary so the result stays valid UTF-8 and at most maxBytes long. */
    static String truncateUtf8(final String text, final int maxBytes) {
        if (text.length() * 3L <= maxBytes || text.getBytes(StandardCharsets.UTF_8).length <= maxBytes) {
            return text;
        }
        int bytes = 0;
        int i = 0;
        while (i < text.length()) {
            final int cp = text.codePointAt(i);
            final int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + len > maxBytes) {
                break;
            }
            bytes += len;
            i += Character.charCount(cp);
        }
        return text.substring(0, i);
    }
}
