package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@DisplayName("the settings reference: one list in the code, docs/settings.md generated from it, unknown mailflow.* keys refused")
class SettingsReferenceTest {
    /** The reference, relative to the analyzer module, where Maven runs the tests. */
    private static final Path REFERENCE = Path.of("..", "docs", "settings.md");

    @TempDir
    Path dir;

    @Test
    @DisplayName("docs/settings.md is exactly what `mailflow settings` prints (regenerate: mailflow settings > docs/settings.md)")
    void referenceIsGeneratedFromTheCode() throws IOException {
        final StringWriter out = new StringWriter();
        final CommandLine cli = new CommandLine(new SettingsCommand()).setOut(new PrintWriter(out, true));
        assertEquals(ExitCodes.OK, cli.execute());
        assertEquals(Settings.markdown(), out.toString());
        if (Boolean.getBoolean("mailflow.regenerate-docs")) {
            Files.writeString(REFERENCE, Settings.markdown(), StandardCharsets.UTF_8);
        }
        assertEquals(Settings.markdown(), Files.readString(REFERENCE, StandardCharsets.UTF_8),
            "docs/settings.md is stale: regenerate it with `mailflow settings > docs/settings.md` "
                + "(or run this test with -Dmailflow.regenerate-docs=true)");
    }

    @Test
    @DisplayName("every setting with a default has a meaning, and every meaning belongs to a setting")
    void everySettingIsDescribed() {
        for (final Settings.Setting s : Settings.all()) {
            assertNotNull(s.meaning(), s.key() + " has a default but no meaning in Settings");
        }
        final TreeSet<String> keys = new TreeSet<>(MailflowConfig.defaults().keySet());
        keys.add("mailflow.connectors.catalog"); // read by ConnectorCatalog.from, no default: no catalog
        keys.add("mailflow.ship.name"); // read by ShipCommand, default: the host name
        keys.add("mailflow.ship.state-file"); // read by ShipCommand, default: derived from the name
        // read by NotifyCommand, no default: no Alertmanager (refused), no links, no credentials
        keys.addAll(java.util.List.of("mailflow.notify.alertmanager-urls", "mailflow.notify.runbook-url", "mailflow.notify.dashboard-url",
            "mailflow.notify.basic-auth-user", "mailflow.notify.basic-auth-password", "mailflow.notify.bearer-token"));
        keys.add("mailflow.query.advertised-host"); // read by QuerySettings, default: the host name
        keys.add("mailflow.query.token"); // read by QuerySettings, no default: no authentication
        assertEquals(keys, new TreeSet<>(Settings.described()), "Settings describes exactly the settings the code reads");
    }

    @Test
    @DisplayName("every mailflow.* setting the README names is one mailflow reads")
    void readmeNamesOnlyRealSettings() throws IOException {
        final String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        final Matcher m = Pattern.compile(
            "(mailflow\\.(?:(?:detect|queue|topic|metrics|connectors|ship|raw-lines)\\.[a-z*-]+(?:\\.[a-z*-]+)*|reporting-mta|connect-timeout))")
            .matcher(readme);
        int named = 0;
        while (m.find()) {
            final String key = m.group(1);
            final boolean exampleOfTheError = readme.substring(Math.max(0, m.start() - 20), m.start()).endsWith("unknown setting '");
            if (!key.endsWith(".") && !key.endsWith("*") && !exampleOfTheError) {
                assertTrue(Settings.known(key), "README names " + key + ", which is no setting");
                named++;
            }
        }
        assertTrue(named > 3, "the README names settings");
    }

    @Test
    @DisplayName("an unknown mailflow.* key from a flag is a usage error (exit 2) suggesting the setting it most likely means")
    void unknownKeyFromAFlag() {
        final StringWriter err = new StringWriter();
        final CommandLine cli = Mailflow.commandLine().setErr(new PrintWriter(err, true)).setOut(new PrintWriter(new StringWriter()));
        assertEquals(ExitCodes.USAGE, cli.execute("topology", "-D", "mailflow.detect.min-duration=5m"));
        assertTrue(err.toString().contains("mailflow topology: unknown setting 'mailflow.detect.min-duration' (set by flag);"
            + " did you mean mailflow.detect.fire-after?"), err.toString());
    }

    @Test
    @DisplayName("... from a config file or the environment too; a near miss suggests the nearest setting, Kafka keys pass")
    void unknownKeyFromFileOrEnvironment() throws IOException {
        final Path file = dir.resolve("mailflow.properties");
        Files.writeString(file, "mailflow.detect.quiet_period=45m\nnum.standby.replicas=1\n");
        final ConfigOptions fromFile = new ConfigOptions();
        new CommandLine(fromFile).parseArgs("--config", file.toString());
        final MailflowConfig.ConfigException e = assertThrows(MailflowConfig.ConfigException.class, () -> fromFile.resolve(Map.of()));
        assertEquals("unknown setting 'mailflow.detect.quiet_period' (set by file); did you mean mailflow.detect.quiet-period?"
            + " `mailflow settings` lists every setting", e.getMessage());

        final ConfigOptions fromEnv = new ConfigOptions();
        final MailflowConfig.ConfigException env = assertThrows(MailflowConfig.ConfigException.class,
            () -> fromEnv.resolve(Map.of("MAILFLOW_QUEUE_EXPIRE__AFTR", "2d")));
        assertTrue(env.getMessage().contains("'mailflow.queue.expire-aftr' (set by env); did you mean mailflow.queue.expire-after?"),
            env.getMessage());

        final ConfigOptions kafkaOnly = new ConfigOptions();
        new CommandLine(kafkaOnly).parseArgs("-D", "num.standby.replicas=1", "-D", "mailflow.queue.expire-after=2d");
        assertEquals("1", kafkaOnly.resolve(Map.of()).get("num.standby.replicas"));
    }

    @Test
    @DisplayName("a key far from every setting gets no guess")
    void noWildGuesses() {
        assertEquals(null, Settings.suggestion("mailflow.colour-scheme.background"));
        assertEquals("mailflow.metrics.port", Settings.suggestion("mailflow.metric.port"));
    }
}
