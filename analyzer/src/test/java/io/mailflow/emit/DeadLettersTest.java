package io.mailflow.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DeadLetter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

    @Test
    void logLineDeadLetterNamesFileAndLine() {
        final DeadLetter letter = DeadLetters.forLine("MSGTRK2026030210-1.LOG", 42, "bad date-time '2026-13-01'", "raw,line", 5L);
        assertEquals("MSGTRK2026030210-1.LOG:42", letter.getSource());
        assertEquals("parse", letter.getStage());
        assertEquals("raw,line", letter.getRaw());
        assertFalse(letter.getRawTruncated());
    }

    @Test
    void hugeRawInputIsCutAndFlagged() {
        final String huge = "x".repeat(DeadLetters.MAX_RAW_CHARS * 3);
        final DeadLetter letter = DeadLetters.forLine("f", 1, "too long", huge, 0L);
        assertEquals(DeadLetters.MAX_RAW_CHARS, letter.getRaw().length());
        assertTrue(letter.getRawTruncated());
    }

    @Test
    void binaryRecordIsKeptAsHexTextAsText() {
        final DeadLetter binary = DeadLetters.forRecord("t", 1, 7, "r", new byte[] {0, 0, 0, 0, 1, (byte) 0xff}, "deserialize", 0L);
        assertEquals("t/1/7", binary.getSource());
        assertEquals("hex:00000000" + "01ff", binary.getRaw());
        final DeadLetter text = DeadLetters.forRecord("t", 0, 0, "r", "héllo".getBytes(StandardCharsets.UTF_8), "deserialize", 0L);
        assertEquals("héllo", text.getRaw());
    }

    @Test
    void reasonChainsCauses() {
        final Exception e = new IllegalStateException("outer", new IllegalArgumentException("inner"));
        assertEquals("outer: inner", DeadLetters.reasonOf(e));
    }
}
