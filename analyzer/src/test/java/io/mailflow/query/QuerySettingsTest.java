package io.mailflow.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mailflow.config.MailflowConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Query settings: port, advertised host, token from a value or a file, never shown")
class QuerySettingsTest {
    @Test
    @DisplayName("defaults: port 8080, this machine's name, no token")
    void defaults() {
        final QuerySettings s = QuerySettings.from(MailflowConfig.builder().defaults().build());
        assertEquals(8080, s.port());
        assertFalse(s.advertisedHost().isBlank());
        assertNull(s.token());
    }

    @Test
    @DisplayName("a token from ${file:PATH:KEY}; toString hides it")
    void tokenFromFile(@TempDir final Path dir) throws Exception {
        final Path secrets = dir.resolve("query.properties");
        Files.writeString(secrets, "token=abc123\n");
        final QuerySettings s = QuerySettings.from(MailflowConfig.builder().defaults()
            .override("mailflow.query.token", "${file:" + secrets + ":token}")
            .override("mailflow.query.advertised-host", "mailflow-0.mailflow")
            .override("mailflow.query.port", "0").build());
        assertEquals("abc123", s.token());
        assertEquals("mailflow-0.mailflow", s.advertisedHost());
        assertEquals(0, s.port());
        assertFalse(s.toString().contains("abc123"), s.toString());
    }

    @Test
    @DisplayName("a missing key or a port out of range is a configuration error")
    void errors(@TempDir final Path dir) throws Exception {
        final Path secrets = dir.resolve("query.properties");
        Files.writeString(secrets, "other=x\n");
        assertThrows(MailflowConfig.ConfigException.class, () -> QuerySettings.resolveToken("${file:" + secrets + ":token}"));
        assertThrows(MailflowConfig.ConfigException.class, () -> QuerySettings.from(MailflowConfig.builder().defaults()
            .override("mailflow.query.port", "70000").build()));
    }
}
