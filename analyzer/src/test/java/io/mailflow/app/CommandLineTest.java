package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.bench.BenchCommand;
import io.mailflow.generate.GenerateCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

@DisplayName("the mailflow command line: usage, help, one option style, exit codes")
class CommandLineTest {

    private static String[] run(final CommandLine cli, final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    @DisplayName("`mailflow` alone prints the usage on stderr and exits 2")
    void noCommand() {
        final String[] r = run(Mailflow.commandLine());
        assertEquals("2", r[0]);
        assertEquals("", r[1]);
        assertTrue(r[2].startsWith("Usage: mailflow"), r[2]);
    }

    @Test
    @DisplayName("the command list of --help shows each command's first sentence, whole")
    void commandListIsWholeSentences() {
        final CommandLine cli = Mailflow.commandLine();
        final String[] r = run(cli, "--help");
        assertEquals("0", r[0]);
        for (final Map.Entry<String, CommandLine> sub : cli.getSubcommands().entrySet()) {
            if (sub.getKey().equals("help")) {
                continue;
            }
            final String[] description = sub.getValue().getCommandSpec().usageMessage().description();
            assertTrue(description.length > 0 && description[0].endsWith("."),
                sub.getKey() + ": the first line of its description is what --help lists; it must be a whole sentence: "
                    + (description.length > 0 ? description[0] : "(none)"));
            assertTrue(r[1].replaceAll("\\s+", " ").contains(description[0]), r[1]);
        }
    }

    @Test
    @DisplayName("generate and bench take -c, -b, -r and -D like every other command (bench refuses -r: its apps use mock://)")
    void oneOptionStyle() {
        final GenerateCommand generate = new GenerateCommand();
        new CommandLine(generate).parseArgs("-c", "mailflow.properties", "-b", "kafka:9092", "-r", "http://registry:8081",
            "-D", "mailflow.topic.partitions=3", "--topic", "traces");
        final BenchCommand bench = new BenchCommand();
        new CommandLine(bench).parseArgs("-b", "kafka:9092", "-D", "mailflow.detect.fire-after=2m", "--set", "acks=all");
        // the old long spellings are the same names
        new CommandLine(new GenerateCommand()).parseArgs("--bootstrap-servers", "kafka:9092", "--schema-registry-url", "mock://x");
        new CommandLine(new BenchCommand()).parseArgs("--bootstrap-servers", "kafka:9092");
        final String[] r = run(new CommandLine(new BenchCommand()), "-r", "http://registry:8081");
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].contains("-r/--schema-registry-url cannot be used here"), r[2]);
    }

    @Test
    @DisplayName("bench warms up on about 4 M records unless --warmups says otherwise; counts below 1 (0 for warm-ups) are usage errors")
    void benchWarmupsAndCounts() {
        assertEquals(2, parsedBench().warmups(), "the default 2 M records");
        assertEquals(4, parsedBench("--records", "1000000").warmups());
        assertEquals(1, parsedBench("--records", "6000000").warmups());
        assertEquals(8, parsedBench("--records", "20000").warmups(), "capped");
        assertEquals(0, parsedBench("--records", "20000", "--warmups", "0").warmups());
        for (final String[] bad : new String[][] {{"--repeats", "0"}, {"--warmups", "-1"}, {"--records", "0"}, {"--partitions", "0"}}) {
            final String[] r = run(new CommandLine(new BenchCommand()), bad);
            assertEquals("2", r[0], String.join(" ", bad) + ": " + r[2]);
            assertTrue(r[2].contains(bad[0] + " must be at least"), r[2]);
        }
    }

    private static BenchCommand parsedBench(final String... args) {
        final BenchCommand bench = new BenchCommand();
        new CommandLine(bench).parseArgs(args);
        return bench;
    }

    @Test
    @DisplayName("every option that takes a value names it like the others do (DURATION, N, FILE), never picocli's <fieldName>")
    void valuesAreNamedAlike() {
        for (final Map.Entry<String, CommandLine> sub : Mailflow.commandLine().getSubcommands().entrySet()) {
            for (final CommandLine.Model.OptionSpec option : sub.getValue().getCommandSpec().options()) {
                if (option.arity().max() > 0) {
                    assertTrue(!option.paramLabel().startsWith("<"), sub.getKey() + " " + option.longestName() + " shows its value as "
                        + option.paramLabel());
                }
            }
        }
    }

    @Test
    @DisplayName("generate: an unknown output format or a bad duration is a usage error naming the option")
    void generateBadValues() {
        String[] r = run(Mailflow.commandLine(), "generate", "--format", "nope");
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].contains("mailflow generate: Invalid value for option '--format': 'nope' is not an output format:"
            + " expected jsonl, exchange or postfix"), r[2]);
        r = run(Mailflow.commandLine(), "generate", "--duration", "soon");
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].contains("Invalid value for option '--duration': 'soon' is not a duration"), r[2]);
    }

    @Test
    @DisplayName("demo refuses -b and -r: it runs its own broker and registry")
    void demoRefusesAClusterFlag() {
        final String[] r = run(Mailflow.commandLine(), "demo", "-b", "kafka:9092");
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].startsWith("mailflow demo: -b/--bootstrap-servers cannot be used here: demo runs its own broker"), r[2]);
        final String[] registry = run(Mailflow.commandLine(), "demo", "-r", "http://registry:8081");
        assertEquals("2", registry[0], registry[2]);
    }

    /** A command whose replay read nothing of a file, as ReplayCommand throws it after writing the dead letters. */
    @CommandLine.Command(name = "nothing-read")
    static final class NothingRead implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new NothingReadException(Map.of("MSGTRK1.LOG", "6,439 lines dead-lettered, first: data line before any #Fields header"));
        }
    }

    @Test
    @DisplayName("a replay that could not read a single record of a file exits 3 with the file and why")
    void nothingReadIsExitThree() {
        final CommandLine cli = Mailflow.commandLine();
        cli.addSubcommand("nothing-read", new NothingRead());
        final String[] r = run(cli, "nothing-read");
        assertEquals(Integer.toString(ExitCodes.BAD_INPUT), r[0]);
        assertEquals("mailflow nothing-read: MSGTRK1.LOG: not a single record could be read (6,439 lines dead-lettered, first:"
            + " data line before any #Fields header)", r[2].trim());
    }
}
