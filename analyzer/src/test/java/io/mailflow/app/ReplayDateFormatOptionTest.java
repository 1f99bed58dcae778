package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.ingest.DateOrder;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

@DisplayName("replay --date-format")
class ReplayDateFormatOptionTest {

    @Test
    @DisplayName("an unknown value is a usage error (exit 2) that lists the accepted values, before any file is read")
    void unknownValueIsAUsageError() {
        final StringWriter err = new StringWriter();
        final CommandLine cli = Mailflow.commandLine();
        cli.setErr(new PrintWriter(err, true)).setOut(new PrintWriter(new StringWriter(), true));
        final int code = cli.execute("replay", "--date-format", "en-AU", "does-not-exist.csv");
        assertEquals(ExitCodes.USAGE, code);
        assertTrue(err.toString().contains("--date-format"), err.toString());
        assertTrue(err.toString().contains("unknown date format 'en-AU', expected one of: dmy, mdy, ymd, or a culture: en-US (mdy), en-GB (dmy)"),
                err.toString());
    }

    @Test
    @DisplayName("dmy, mdy, ymd and culture names in any case are accepted; without the option the order is detected per file")
    void acceptedValues() {
        assertEquals(DateOrder.DAY_FIRST, parse("--date-format", "EN-gb").dateFormat);
        assertEquals(DateOrder.MONTH_FIRST, parse("--date-format", "mdy").dateFormat);
        assertEquals(DateOrder.YEAR_FIRST, parse("--date-format", "sv-se").dateFormat);
        assertNull(parse().dateFormat);
    }

    @Test
    @DisplayName("--help describes it")
    void help() {
        final StringWriter out = new StringWriter();
        final CommandLine cli = Mailflow.commandLine();
        cli.setOut(new PrintWriter(out, true));
        assertEquals(0, cli.execute("replay", "--help"));
        assertTrue(out.toString().contains("--date-format=ORDER|CULTURE"), out.toString());
        final String flowed = out.toString().replaceAll("\\s+", " ");
        assertTrue(flowed.contains("a file whose days are all 12 or less is refused until this is given"), flowed);
        assertTrue(flowed.contains("en-US (mdy); en-GB, fr-FR, de-DE, nl-NL, es-ES, it-IT (dmy); sv-SE, ISO (ymd)"), flowed);
    }

    private static ReplayCommand parse(final String... options) {
        final ReplayCommand command = new ReplayCommand();
        final String[] args = new String[options.length + 1];
        System.arraycopy(options, 0, args, 0, options.length);
        args[options.length] = "trace.csv";
        new CommandLine(command).parseArgs(args);
        return command;
    }
}
