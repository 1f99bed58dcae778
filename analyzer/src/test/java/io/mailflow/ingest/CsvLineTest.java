package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RFC 4180 line splitting")
class CsvLineTest {
    @Test
    @DisplayName("quoted fields keep commas and doubled quotes; empty fields stay, also at the end")
    void quoting() {
        assertEquals(List.of("a", "b, c", "say \"hi\"", "", ""), CsvLine.split("a,\"b, c\",\"say \"\"hi\"\"\",,"));
        assertEquals(List.of("", "x", ""), CsvLine.split("\"\",x,\"\""));
        assertEquals(List.of(""), CsvLine.split(""));
        assertEquals(List.of("a\"b"), CsvLine.split("a\"b"), "a quote inside an unquoted field is literal");
    }

    @Test
    @DisplayName("an unterminated quote or text after a closing quote is malformed")
    void malformed() {
        assertNull(CsvLine.split("a,\"unterminated,b"));
        assertNull(CsvLine.split("a,\"closed\"junk,b"));
    }
}
