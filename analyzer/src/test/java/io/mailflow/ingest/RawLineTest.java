package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("the raw-lines envelope: what each shipper sends, read into line, host, source, format")
class RawLineTest {
    private static final String LINE = "Mar  2 10:00:01 mx1 postfix/smtp[1]: ABCDE1: to=<a@b.example>, status=sent";

    private static RawLine read(final String key, final String value) throws RawLine.Unreadable {
        return RawLine.read(key, value);
    }

    @Test
    @DisplayName("Vector: message, host, file, timestamp")
    void vector() throws Exception {
        final RawLine r = read("mx1", "{\"message\":\"" + LINE + "\",\"host\":\"mx1.example\",\"file\":\"/var/log/mail.log\","
            + "\"timestamp\":\"2024-03-02T10:00:02.5Z\",\"source_type\":\"file\"}");
        assertEquals(new RawLine(LINE, "mx1.example", "/var/log/mail.log", null, Instant.parse("2024-03-02T10:00:02.5Z")), r);
    }

    @Test
    @DisplayName("Filebeat: message, host.name, log.file.path, @timestamp")
    void filebeat() throws Exception {
        final RawLine r = read(null, "{\"@timestamp\":\"2024-03-02T10:00:02+01:00\",\"message\":\"" + LINE + "\","
            + "\"host\":{\"name\":\"mx1\"},\"log\":{\"offset\":12,\"file\":{\"path\":\"/var/log/maillog\"}}}");
        assertEquals(new RawLine(LINE, "mx1", "/var/log/maillog", null, Instant.parse("2024-03-02T09:00:02Z")), r);
    }

    @Test
    @DisplayName("Fluent Bit: the line in log; rsyslog templates: hostname, source and a format")
    void fluentBitAndRsyslog() throws Exception {
        assertEquals(new RawLine(LINE, "mx1", null, null, null), read("mx1", "{\"date\":1709373601.0,\"log\":\"" + LINE + "\"}"));
        assertEquals(new RawLine(LINE, "mx2", "/var/log/mail.log", TraceFormat.POSTFIX, null),
            read("mx1", "{\"message\":\"" + LINE + "\",\"hostname\":\"mx2\",\"source\":\"/var/log/mail.log\",\"format\":\"postfix\"}"));
        assertEquals(TraceFormat.EXCHANGE_MSGTRK, read(null, "{\"message\":\"x\",\"format\":\"exchange-msgtrk\"}").format());
    }

    @Test
    @DisplayName("plain text is the line itself (line break and byte-order mark dropped), host from the record key")
    void plainText() throws Exception {
        assertEquals(new RawLine(LINE, "mx1", null, null, null), read("mx1", LINE + "\r\n"));
        assertEquals(new RawLine("#Software: Microsoft Exchange Server", null, null, null, null),
            read("", "\uFEFF#Software: Microsoft Exchange Server\n"));
    }

    @Test
    @DisplayName("an unreadable timestamp only loses the reference time; the line is kept")
    void unreadableTimestamp() throws Exception {
        assertNull(read(null, "{\"message\":\"x\",\"timestamp\":\"yesterday\"}").timestamp());
    }

    @Test
    @DisplayName("bad JSON, no text line field, or a format that is not a line format: unreadable, with the reason")
    void unreadable() {
        assertTrue(assertThrows(RawLine.Unreadable.class, () -> read("k", "{\"message\": \"cut")).getMessage()
            .startsWith("unreadable JSON envelope"));
        assertTrue(assertThrows(RawLine.Unreadable.class, () -> read("k", "{\"message\": 42}")).getMessage()
            .contains("no text field 'message' or 'log'"));
        assertTrue(assertThrows(RawLine.Unreadable.class, () -> read("k", "{\"log\": {\"file\": {}}}")).getMessage()
            .contains("no text field 'message' or 'log'"));
        assertTrue(assertThrows(RawLine.Unreadable.class, () -> read("k", "{\"message\":\"x\",\"format\":\"jsonl\"}")).getMessage()
            .contains("not a line format"));
        assertTrue(assertThrows(RawLine.Unreadable.class, () -> read("k", null)).getMessage().contains("empty record"));
    }
}
