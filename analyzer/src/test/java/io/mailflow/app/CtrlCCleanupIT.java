package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ctrl-C during {@code demo} or {@code replay --embedded}, as a user presses it: SIGINT to a real
 * {@code mailflow} process (target/mailflow.jar) once its broker is up. It must say it was
 * interrupted, exit 130 and leave nothing in its own java.io.tmpdir.
 *
 * <p>A process started in the background of a non-interactive shell has SIGINT ignored, and so
 * has every process it starts, which no JVM can undo; if this test's JVM is such a process, the
 * child is started through perl, which restores the default action before it runs java.
 */
@DisplayName("Ctrl-C during an embedded run: a line saying so, exit 130, no temporary directories left")
class CtrlCCleanupIT {
    private static final Duration BROKER_UP = Duration.ofSeconds(90);

    @TempDir
    Path work;

    /**
     * Ctrl-C once the broker is up, and Ctrl-C while it is still starting (its start runs on a
     * thread of its own beside the analyzer's construction, and must be waited for and stopped,
     * or it writes its log directory after the clean-up deleted it).
     */
    @ParameterizedTest(name = "mailflow {0}, Ctrl-C {1}")
    @CsvSource({
        "demo, once the broker is up",
        "replay --embedded --out findings SAMPLE, once the broker is up",
        "demo, while the broker starts",
        "replay --embedded --out findings SAMPLE, while the broker starts"})
    void interruptedRunLeavesNothingBehind(final String command, final String moment) throws Exception {
        final Path tmp = Files.createDirectories(work.resolve("tmp"));
        final Path sample = work.resolve("MSGTRK2026030206-EX01.LOG.gz");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(DemoCommand.SAMPLE.get(0))) {
            Files.copy(in, sample);
        }
        final List<String> args = new ArrayList<>();
        if (sigintIgnoredHere()) {
            assumeTrue(Files.isExecutable(Path.of("/usr/bin/perl")), "SIGINT is ignored in this JVM and perl is missing to restore it");
            args.addAll(List.of("/usr/bin/perl", "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die $!"));
        }
        args.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
            "-Djava.io.tmpdir=" + tmp, "-jar", Path.of("target", "mailflow.jar").toAbsolutePath().toString()));
        for (final String arg : command.split(" ")) {
            args.add(arg.equals("SAMPLE") ? sample.toString() : arg.equals("findings") ? work.resolve("findings").toString() : arg);
        }
        final Path stderr = work.resolve("stderr.txt");
        final Process process = new ProcessBuilder(args).redirectOutput(work.resolve("stdout.txt").toFile())
            .redirectError(stderr.toFile()).start();
        try {
            if (moment.startsWith("while")) {
                awaitTemporaryDirectories(process, tmp);
            } else {
                awaitBrokerDirectories(process, tmp);
            }
            new ProcessBuilder("/bin/kill", "-INT", Long.toString(process.pid())).inheritIO().start().waitFor();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "still running a minute after Ctrl-C");
        } finally {
            process.destroyForcibly();
        }
        final String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertEquals(ExitCodes.INTERRUPTED, process.exitValue(), err);
        final String verb = command.split(" ")[0];
        assertTrue(err.contains("mailflow " + verb + ": interrupted; stopping the embedded broker and deleting its temporary files"), err);
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString()).toList(), "left behind in java.io.tmpdir");
        }
    }

    /** Waits until the broker's and the state's temporary directories exist, i.e. the run is well under way. */
    private static void awaitBrokerDirectories(final Process process, final Path tmp) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + BROKER_UP.toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            try (Stream<Path> dirs = Files.list(tmp)) {
                final List<String> names = dirs.map(p -> p.getFileName().toString()).toList();
                if (names.stream().anyMatch(n -> n.startsWith("mailflow-kafka-"))
                    && names.stream().anyMatch(n -> n.startsWith("mailflow-state-"))
                    && Files.exists(tmp.resolve(names.stream().filter(n -> n.startsWith("mailflow-kafka-")).findFirst().orElseThrow())
                        .resolve("log"))) {
                    Thread.sleep(1_000); // the broker formatted its log directory and is starting
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the run did not get as far as its broker (alive: " + process.isAlive() + ")");
    }

    /** Waits until the run has made its temporary directories, the first thing it does before its broker starts. */
    private static void awaitTemporaryDirectories(final Process process, final Path tmp) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + BROKER_UP.toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            try (Stream<Path> dirs = Files.list(tmp)) {
                final List<String> names = dirs.map(p -> p.getFileName().toString()).toList();
                if (names.stream().anyMatch(n -> n.startsWith("mailflow-kafka-")) && names.stream().anyMatch(n -> n.startsWith("mailflow-state-"))) {
                    Thread.sleep(300); // its Ctrl-C handler is armed right after; the broker takes seconds
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the run did not make its temporary directories (alive: " + process.isAlive() + ")");
    }

    /** Bit 2 (SIGINT) of SigIgn in /proc/self/status. */
    private static boolean sigintIgnoredHere() throws IOException {
        final Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return false;
        }
        for (final String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 1)) != 0;
            }
        }
        return false;
    }
}
