package io.mailflow.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GenerateCommandTest {

    @Test
    @DisplayName("`mailflow generate --help` lists the options with an outage example")
    void help() {
        final StringWriter out = new StringWriter();
        final CommandLine cli = new CommandLine(new GenerateCommand());
        cli.setOut(new PrintWriter(out));
        assertEquals(0, cli.execute("--help"));
        assertTrue(out.toString().contains("--outage"));
        assertTrue(out.toString().contains("partner-contoso:4.4.316:2h@+1h"));
    }

    @Test
    @DisplayName("a run writes the Exchange log into the output directory and summarises records per type and outages")
    void writesExchangeLogAndSummary(@TempDir final Path dir) throws Exception {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final CommandLine cli = new CommandLine(new GenerateCommand(new PrintStream(err, true, StandardCharsets.UTF_8)));
        final int code = cli.execute("--seed", "3", "--duration", "1h", "--start", "2026-03-02T08:00:00Z",
            "--connectors", "partner-contoso:10,mailbox:10", "--outage", "partner-contoso:4.4.318:20m@+10m",
            "--format", "exchange", "--out", dir.toString(), "--quiet");
        assertEquals(0, code);
        final Path log = dir.resolve("MSGTRK2026030208-1.LOG");
        assertTrue(Files.readString(log).contains(",DEFER,"));
        final String summary = err.toString(StandardCharsets.UTF_8);
        assertTrue(summary.contains("RECEIVE="), summary);
        assertTrue(summary.matches("(?s).*partner-contoso:4\\.4\\.318:20m@\\+10m -> [0-9,]+ deferrals.*"), summary);
    }

    @Test
    @DisplayName("a wrong outage is a usage error with a hint, not a stack trace")
    void badOutage() {
        final StringWriter err = new StringWriter();
        final CommandLine cli = new CommandLine(new GenerateCommand());
        cli.setErr(new PrintWriter(err));
        assertEquals(2, cli.execute("--outage", "partner-contoso:1h", "--out", "-"));
        assertTrue(err.toString().contains("connector:code:duration"), err.toString());
    }
}
