package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.notify.AlertmanagerClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("mailflow notify: refuses what it cannot use before connecting, and never shows a secret")
class NotifyCommandTest {
    private static final String SECRET = "s3cr3t-token-value";

    private static String[] run(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Mailflow.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    @DisplayName("without an Alertmanager it is a usage error naming the option")
    void noAlertmanager() {
        final String[] r = run("notify", "-b", "127.0.0.1:1");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--alertmanager-url"), r[2]);
    }

    @Test
    @DisplayName("an Alertmanager URL that is not http(s) is a usage error, shown without its user info")
    void badUrl() {
        final String[] r = run("notify", "-b", "127.0.0.1:1", "--alertmanager-url", "ftp://user:" + SECRET + "@am:9093");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("not an http(s) URL"), r[2]);
        assertFalse(r[2].contains(SECRET), r[2]);
    }

    @Test
    @DisplayName("basic auth and a bearer token together are refused; the token is not in the message")
    void basicAndBearer(@TempDir final Path dir) throws Exception {
        final Path token = Files.writeString(dir.resolve("token"), SECRET + "\n");
        final String[] r = run("notify", "-b", "127.0.0.1:1", "--alertmanager-url", "http://am:9093",
            "--basic-auth-user", "mailflow", "--bearer-token-file", token.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("cannot both be used"), r[2]);
        assertFalse(r[2].contains(SECRET), r[2]);
    }

    @Test
    @DisplayName("credentials are shown as their kind only; URLs without user info")
    void secretsMasked() {
        assertEquals("Bearer [hidden]", AlertmanagerClient.Auth.bearer(SECRET).toString());
        assertEquals("Basic [hidden]", AlertmanagerClient.Auth.basic("mailflow", SECRET).toString());
        final AlertmanagerClient client = new AlertmanagerClient(List.of("http://user:" + SECRET + "@am:9093/"),
            AlertmanagerClient.Auth.bearer(SECRET));
        assertEquals(List.of("http://***@am:9093/api/v2/alerts"), client.alertmanagers());
        assertEquals("Bearer [hidden]", client.authShown());
        assertThrows(IllegalArgumentException.class, () -> new AlertmanagerClient(List.of(), AlertmanagerClient.Auth.none()));
    }

    @Test
    @DisplayName("the settings of the deployed properties files are all known to mailflow")
    void deployedPropertiesUseKnownSettings() throws Exception {
        for (final String file : List.of("../deploy/systemd/notify.properties", "../deploy/systemd/ship.properties")) {
            for (final String line : Files.readAllLines(Path.of(file))) {
                final String setting = line.replaceFirst("^#", "").trim();
                if (setting.startsWith("mailflow.") && setting.contains("=")) {
                    final String key = setting.substring(0, setting.indexOf('=')).trim();
                    assertTrue(Settings.known(key), file + ": " + key + " is not a mailflow setting");
                }
            }
        }
    }
}
