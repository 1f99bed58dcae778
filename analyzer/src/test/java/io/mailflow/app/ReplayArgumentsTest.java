package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every check of replay's arguments and inputs happens before a broker starts or a cluster is
 * asked: each case here returns within a second (a broker alone takes several) with exit code 2 for
 * a usage error, 3 for a file that is not a trace log, and one line naming the problem.
 */
@DisplayName("replay: arguments and inputs are checked before anything starts")
class ReplayArgumentsTest {
    private static final Duration BEFORE_ANYTHING_STARTS = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    private Path log;

    /** One run result: exit code, standard error, time taken. */
    private record Run(int code, String err, Duration took) {
    }

    @BeforeAll
    static void warmUp() {
        // class loading of picocli and the replay command is not what is measured
        run("replay", "--help");
        run("replay", "--speed", "fast", "x");
    }

    @BeforeEach
    void aTraceLog() throws IOException {
        log = dir.resolve("MSGTRK2026030206-1.LOG");
        Files.writeString(log, "#Software: Microsoft Exchange Server\n#Fields: date-time,event-id,recipient-address\n"
            + "2026-03-02T06:00:00.000Z,RECEIVE,a@example.com\n", StandardCharsets.UTF_8);
    }

    private static Run run(final String... args) {
        final StringWriter err = new StringWriter();
        final long t0 = System.nanoTime();
        final int code = Mailflow.commandLine().setErr(new PrintWriter(err, true)).setOut(new PrintWriter(new StringWriter(), true))
            .execute(args);
        return new Run(code, err.toString(), Duration.ofNanos(System.nanoTime() - t0));
    }

    private static Run usageError(final String expected, final String... args) {
        final Run r = run(args);
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertTrue(r.err().startsWith("mailflow replay: "), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertTrue(r.took().compareTo(BEFORE_ANYTHING_STARTS) < 0, "took " + r.took());
        return r;
    }

    @Test
    @DisplayName("--out naming an existing file, or a path under one: 'not a directory'")
    void outIsAFile() {
        usageError("mailflow replay: --out " + log + ": not a directory", "replay", "--embedded", "--out", log.toString(), log.toString());
        usageError("not a directory (" + log + " is a file)", "replay", "--embedded", "--out", log.resolve("findings").toString(),
            log.toString());
    }

    @Test
    @DisplayName("--out in a directory that may not be written: 'permission denied'")
    void outNotWritable() throws IOException {
        final Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        assumeFalse(Files.isWritable(locked), "running as root: every directory is writable");
        usageError("--out " + locked + ": permission denied", "replay", "--embedded", "--out", locked.toString(), log.toString());
        usageError("cannot be created: permission denied in " + locked, "replay", "--embedded", "--out",
            locked.resolve("findings").toString(), log.toString());
    }

    @Test
    @DisplayName("--out holding an earlier replay's files is refused without --force; --force passes the check")
    void earlierOutput() throws IOException {
        final Path findings = Files.createDirectory(dir.resolve("findings"));
        Files.writeString(findings.resolve("mailflow.alerts.jsonl"), "{}\n");
        Files.writeString(findings.resolve("notes.txt"), "mine\n");
        usageError("--out " + findings + ": holds the output of an earlier replay (mailflow.alerts.jsonl); give --force to replace it",
            "replay", "--embedded", "--out", findings.toString(), log.toString());
        // with --force the check passes: what fails next is a later check (here -b), not --out
        usageError("-b/--bootstrap-servers cannot be used here", "replay", "--embedded", "--force", "-b", "kafka:9092",
            "--out", findings.toString(), log.toString());
    }

    @Test
    @DisplayName("--force deletes every output file of the earlier run, those this run would not write too, and nothing else")
    void forceReplacesAllEarlierOutput() throws IOException {
        final Path findings = Files.createDirectory(dir.resolve("findings"));
        Files.writeString(findings.resolve("mailflow.alerts.jsonl"), "{}\n");
        Files.writeString(findings.resolve("mailflow.traces.jsonl"), "{}\n");
        Files.writeString(findings.resolve("notes.txt"), "mine\n");
        final OutputDirectory.Checked checked = OutputDirectory.check(findings,
            List.of("mailflow.traces.jsonl", "mailflow.alerts.jsonl", "mailflow.ndr.jsonl"));
        assertEquals(null, checked.problem());
        assertEquals(2, checked.directory().earlierOutput().size());
        checked.directory().prepare();
        assertFalse(Files.exists(findings.resolve("mailflow.alerts.jsonl")));
        assertFalse(Files.exists(findings.resolve("mailflow.traces.jsonl")));
        assertTrue(Files.exists(findings.resolve("notes.txt")));
    }

    @Test
    @DisplayName("bad durations, speeds and formats name the option and what it accepts")
    void badOptionValues() {
        usageError("Invalid value for option '--quiet-period': 'soon' is not a duration (examples: 30m, 4h, 500ms, 2d, PT15M)",
            "replay", "--embedded", "--quiet-period", "soon", log.toString());
        usageError("Invalid value for option '--timeout': '0s' must be longer than zero", "replay", "--embedded", "--timeout", "0s",
            log.toString());
        usageError("Invalid value for option '--speed': '0' is not a speed: expected max, or a factor above zero",
            "replay", "--speed", "0", log.toString());
        usageError("Invalid value for option '--speed': 'fast' is not a speed", "replay", "--speed", "fast", log.toString());
        final Run format = usageError("Invalid value for option '--format': unknown trace format 'nope', expected one of: exchange-msgtrk,",
            "replay", "--format", "nope", log.toString());
        assertFalse(format.err().contains("For input string"), format.err());
    }

    @Test
    @DisplayName("a missing input: 'no such file or directory', exit 2, without the list of formats")
    void missingInput() {
        final Run r = usageError("mailflow replay: " + dir.resolve("nope.log") + ": no such file or directory",
            "replay", "--embedded", dir.resolve("nope.log").toString());
        assertFalse(r.err().contains("Expected one of these trace formats"), r.err());
    }

    @Test
    @DisplayName("an input that may not be read: 'permission denied', exit 2, without the list of formats")
    void unreadableInput() throws IOException {
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("-w-------"));
        assumeFalse(Files.isReadable(log), "running as root: every file is readable");
        final Run r = usageError(log + ": permission denied", "replay", "--embedded", log.toString());
        assertFalse(r.err().contains("Expected one of these trace formats"), r.err());
    }

    @Test
    @DisplayName("a binary file or a README: not a trace log, exit 3, with the formats it could have been")
    void notATraceLog() throws IOException {
        final Path readme = dir.resolve("README");
        Files.writeString(readme, "These are the mail logs of March.\nAsk Bob.\n");
        final Path binary = dir.resolve("core.dump");
        Files.write(binary, new byte[] {0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 3, 0, 0});
        for (final Path file : List.of(readme, binary)) {
            final Run r = run("replay", "--embedded", file.toString());
            assertEquals(ExitCodes.BAD_INPUT, r.code(), r.err());
            assertTrue(r.err().startsWith("mailflow replay: " + file + ": not a trace log in any supported format"), r.err());
            assertTrue(r.err().contains("Expected one of these trace formats:\n  exchange-msgtrk:"), r.err());
            assertTrue(r.took().compareTo(BEFORE_ANYTHING_STARTS) < 0, "took " + r.took());
        }
    }

    @Test
    @DisplayName("--out without --embedded, and -b or -r with --embedded, are usage errors")
    void embeddedOnlyOptions() {
        usageError("--out needs --embedded", "replay", "--out", dir.toString(), log.toString());
        usageError("-b/--bootstrap-servers cannot be used here: --embedded runs its own broker", "replay", "--embedded", "-b", "kafka:9092",
            log.toString());
        usageError("-r/--schema-registry-url cannot be used here", "replay", "--embedded", "-r", "http://registry:8081", log.toString());
        usageError("-b/--bootstrap-servers cannot be used here", "replay", "--embedded", "-D", "bootstrap.servers=kafka:9092",
            log.toString());
    }
}
