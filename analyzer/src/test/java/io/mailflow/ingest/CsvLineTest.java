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

    @Test
    @DisplayName("writing quotes only fields with a comma, a quote, CR or LF, and doubles the quotes inside")
    void formatting() {
        assertEquals("plain,,with space", CsvLine.format(List.of("plain", "", "with space")));
        assertEquals("\"Re: invoice, March\"", CsvLine.format(List.of("Re: invoice, March")));
        assertEquals("\"say \"\"hi\"\"\",x", CsvLine.format(List.of("say \"hi\"", "x")));
        assertEquals("\"\"\"\"\"\"", CsvLine.format(List.of("\"\"")), "a field of two quotes");
        assertEquals("\"a\r\nb\",\"c\rd\",\"e\nf\"", CsvLine.format(List.of("a\r\nb", "c\rd", "e\nf")));
        assertEquals(";250 2.0.0 OK;x:y", CsvLine.format(List.of(";250 2.0.0 OK;x:y")), "semicolons and colons need no quotes");
    }

    @Test
    @DisplayName("what is written on one line splits back into the same fields")
    void roundTrip() {
        final List<String> fields = List.of("2026-03-02T08:00:00.000Z", "", "Purchase order, \"urgent\"", "\"", ",", "a\"b",
            "450 4.4.316 Connection refused; retry", " padded ");
        assertEquals(fields, CsvLine.split(CsvLine.format(fields)));
    }
}
