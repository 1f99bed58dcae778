package io.mailflow.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/bin/mailflow runs mailflow both where users start it: in a clone after `mvn package`,
 * and installed as the systemd units say (PREFIX/bin/mailflow, PREFIX/mailflow.jar, PREFIX/lib/),
 * also through a symbolic link on the PATH.
 */
class LauncherIT {
    private static final Path PROJECT = Path.of(System.getProperty("mailflow.project.dir", "..")).toAbsolutePath().normalize();
    private static final Path LAUNCHER = PROJECT.resolve("deploy/bin/mailflow");

    @Test
    @DisplayName("in a clone, deploy/bin/mailflow runs analyzer/target/mailflow.jar")
    void runsTheBuiltJarInAClone() throws Exception {
        assertRuns(LAUNCHER, "mailflow ", "--version");
    }

    @Test
    @DisplayName("installed as the systemd units describe it, and linked from the PATH, it runs PREFIX/mailflow.jar")
    void runsAnInstalledCopy(@TempDir final Path tmp) throws Exception {
        final Path prefix = tmp.resolve("opt/mailflow");
        Files.createDirectories(prefix.resolve("bin"));
        Files.copy(LAUNCHER, prefix.resolve("bin/mailflow"));
        Files.createSymbolicLink(prefix.resolve("mailflow.jar"), Path.of("target", "mailflow.jar").toAbsolutePath());
        Files.createSymbolicLink(prefix.resolve("lib"), Path.of("target", "lib").toAbsolutePath());
        // the units start PREFIX/bin/mailflow; the install comment names this very layout
        for (final String unit : List.of("mailflow-ship.service", "mailflow-notify.service")) {
            final String text = Files.readString(PROJECT.resolve("deploy/systemd").resolve(unit));
            final Matcher exec = Pattern.compile("(?m)^ExecStart=(\\S+)").matcher(text);
            assertTrue(exec.find(), unit + " has ExecStart");
            assertEquals("/opt/mailflow/bin/mailflow", exec.group(1), unit);
            assertTrue(text.contains("/opt/mailflow (bin/mailflow, mailflow.jar, lib/)"), unit + " says how to install");
        }
        assertRuns(prefix.resolve("bin/mailflow"), "mailflow ", "--version");

        final Path onPath = tmp.resolve("usr/local/bin/mailflow");
        Files.createDirectories(onPath.getParent());
        Files.createSymbolicLink(onPath, prefix.resolve("bin/mailflow"));
        assertRuns(onPath, "Usage: mailflow ship", "ship", "--help");
    }

    @Test
    @DisplayName("without a built jar it says how to build one and exits 2")
    void saysHowToBuild(@TempDir final Path tmp) throws Exception {
        final Path clone = tmp.resolve("clone");
        Files.createDirectories(clone.resolve("deploy/bin"));
        Files.copy(LAUNCHER, clone.resolve("deploy/bin/mailflow"));
        final Result r = run(clone.resolve("deploy/bin/mailflow"), "--version");
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().contains("mvn -B -q package -DskipTests"), r.output());
    }

    @Test
    @DisplayName("every command runs with the throughput collector unless JAVA_OPTS names one")
    void commandsRunWithTheThroughputCollector() throws Exception {
        // -Xlog:gc makes the JVM say which collector it starts with ("Using Parallel", "Using G1", ...)
        final String opts = "-Xmx128m -XX:TieredStopAtLevel=1 -Xlog:gc";
        for (final String command : List.of("replay", "run", "bench")) {
            final Result r = runWith(opts, LAUNCHER, command, "--help");
            assertEquals(0, r.exit(), r.output());
            assertTrue(r.output().contains("Usage: mailflow " + command), r.output());
            assertTrue(r.output().contains("Using Parallel"), command + ": " + r.output());
        }

        final Result g1 = runWith(opts + " -XX:+UseG1GC", LAUNCHER, "run", "--help");
        assertEquals(0, g1.exit(), g1.output());
        assertTrue(g1.output().contains("Using G1"), g1.output());
        assertFalse(g1.output().contains("Using Parallel"), g1.output());

        final Result serial = runWith(opts + " -XX:+UseSerialGC", LAUNCHER, "replay", "--help");
        assertEquals(0, serial.exit(), serial.output());
        assertTrue(serial.output().contains("Using Serial"), serial.output());
    }

    @Test
    @DisplayName("on 2 cores, demo and an embedded replay of under 128 MiB run on the quick compiler alone; larger inputs, "
        + "other commands and a compiler flag in JAVA_OPTS keep tiered compilation; MAILFLOW_JIT overrides the choice")
    void shortEmbeddedJobsOnTwoCoresRunOnTheQuickCompiler(@TempDir final Path tmp) throws Exception {
        // the JVM prints the flags it was given; the launcher adds -XX:TieredStopAtLevel=1 when it chooses C1 alone
        final String opts = "-Xmx128m -XX:+PrintCommandLineFlags";
        final String quick = "-XX:TieredStopAtLevel=1";
        final boolean twoCores = cores() <= 2;
        final Path small = Files.writeString(tmp.resolve("small.log"), "#Software: Microsoft Exchange Server\n");
        // sparse files: their size is what counts, not their blocks
        final Path large = sized(tmp.resolve("logs/large.log"), 129L << 20);
        final Path compressed = sized(tmp.resolve("old.log.gz"), 17L << 20); // ~136 MiB once decompressed
        final Path out = Files.createDirectories(tmp.resolve("out"));

        assertEquals(twoCores, flags(opts, null, "demo", "--help").contains(quick));
        assertEquals(twoCores, flags(opts, null, "replay", "--embedded", "--out", large.toString(), "--help", small.toString()).contains(quick),
            "an option's value (--out) is not an input");
        assertFalse(flags(opts, null, "replay", "--embedded", "--help", small.toString(), large.getParent().toString()).contains(quick),
            "129 MiB in a directory");
        assertFalse(flags(opts, null, "replay", "--embedded", "--help", compressed.toString()).contains(quick), "a .gz counts eight times");
        assertFalse(flags(opts, null, "replay", "--help", small.toString()).contains(quick), "into a cluster, not embedded");
        assertFalse(flags(opts, null, "run", "--help").contains(quick));
        assertFalse(flags(opts + " -XX:TieredStopAtLevel=4", null, "demo", "--help").contains(quick), "JAVA_OPTS decides");

        assertFalse(flags(opts, "tiered", "demo", "--help").contains(quick));
        assertTrue(flags(opts, "c1", "replay", "--embedded", "--help", large.toString(), out.toString()).contains(quick));
        // the launcher's variables reach the JVM's environment too, where they are not settings
        final Result topology = runWith(opts, Map.of("MAILFLOW_JIT", "tiered", "MAILFLOW_CDS", "off"), LAUNCHER, "topology");
        assertEquals(0, topology.exit(), topology.output());
        assertTrue(topology.output().contains("Sub-topology: 0"), topology.output());
        final Result wrong = runWith(opts, Map.of("MAILFLOW_JIT", "fast"), LAUNCHER, "demo", "--help");
        assertEquals(2, wrong.exit(), wrong.output());
        assertTrue(wrong.output().contains("MAILFLOW_JIT must be auto, c1 or tiered"), wrong.output());
    }

    @Test
    @DisplayName("JAVA_HOME picks the JVM (a missing bin/java exits 2); every JVM is allowed native access, from Java 24 on "
        + "also sun.misc.Unsafe's memory access; an embedded command records a class data sharing archive named after the JVM's version, "
        + "its --help none")
    void javaHomePicksTheJvm(@TempDir final Path tmp) throws Exception {
        final String nativeAccess = "--enable-native-access=ALL-UNNAMED";
        final String unsafeAccess = "--sun-misc-unsafe-memory-access=allow";
        final Result java24 = runWith("-Xmx128m", Map.of("JAVA_HOME", fakeJdk(tmp.resolve("jdk-24"), "24.0.1").toString()),
            LAUNCHER, "--version");
        assertEquals(0, java24.exit(), java24.output());
        assertTrue(java24.output().startsWith("fake java 24.0.1:"), "JAVA_HOME's java ran: " + java24.output());
        assertTrue(java24.output().contains(nativeAccess) && java24.output().contains(unsafeAccess), java24.output());
        assertTrue(java24.output().contains("-jar " + PROJECT.resolve("analyzer/target/mailflow.jar")), java24.output());

        final Path jdk17 = fakeJdk(tmp.resolve("jdk-17"), "17.0.9");
        final Result java17 = runWith("-Xmx128m", Map.of("JAVA_HOME", jdk17.toString()), LAUNCHER, "demo");
        assertEquals(0, java17.exit(), java17.output());
        assertTrue(java17.output().contains(nativeAccess), java17.output());
        assertFalse(java17.output().contains(unsafeAccess), "Java 17 does not know the option: " + java17.output());
        assertTrue(java17.output().contains("-XX:ArchiveClassesAtExit=" + PROJECT.resolve("analyzer/target/mailflow-java-17.0.9.jsa.")),
            "an embedded command records an archive named after its JVM: " + java17.output());
        // a --help run loads a fraction of the classes: its archive would stand in for the full one
        final Result help = runWith("-Xmx128m", Map.of("JAVA_HOME", jdk17.toString()), LAUNCHER, "demo", "--help");
        assertEquals(0, help.exit(), help.output());
        assertFalse(help.output().contains("-XX:ArchiveClassesAtExit"), "--help records no archive: " + help.output());

        final Result noJava = runWith("-Xmx128m", Map.of("JAVA_HOME", tmp.resolve("nothing").toString()), LAUNCHER, "--version");
        assertEquals(2, noJava.exit(), noJava.output());
        assertTrue(noJava.output().contains("JAVA_HOME=" + tmp.resolve("nothing") + " has no bin/java"), noJava.output());
    }

    /** A JDK home whose java prints its version and arguments, as a JDK's release file names it. */
    private static Path fakeJdk(final Path home, final String version) throws IOException {
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        final Path java = Files.writeString(home.resolve("bin/java"), "#!/bin/sh\necho \"fake java " + version + ": $*\"\n");
        assertTrue(java.toFile().setExecutable(true));
        return home;
    }

    private static String flags(final String javaOpts, final String jit, final String... args) throws Exception {
        final Result r = runWith(javaOpts, jit == null ? Map.of() : Map.of("MAILFLOW_JIT", jit), LAUNCHER, args);
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("-XX:MaxHeapSize"), "the JVM printed its flags: " + r.output());
        return r.output();
    }

    private static Path sized(final Path file, final long bytes) throws IOException {
        Files.createDirectories(file.getParent());
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes);
        }
        return file;
    }

    /** The cores the launcher sees (nproc), which may differ from what this JVM was given. */
    private static int cores() throws Exception {
        final Process p = new ProcessBuilder("nproc").start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return Integer.parseInt(out);
    }

    private record Result(int exit, String output) {
    }

    /** {@code launcher args} exits 0 and prints {@code expected}. */
    private static void assertRuns(final Path launcher, final String expected, final String... args) throws Exception {
        final Result r = run(launcher, args);
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains(expected), r.output());
    }

    private static Result run(final Path launcher, final String... args) throws IOException, InterruptedException {
        return runWith("-Xmx128m -XX:TieredStopAtLevel=1", launcher, args);
    }

    private static Result runWith(final String javaOpts, final Path launcher, final String... args) throws IOException, InterruptedException {
        return runWith(javaOpts, Map.of(), launcher, args);
    }

    private static Result runWith(final String javaOpts, final Map<String, String> env, final Path launcher, final String... args)
        throws IOException, InterruptedException {
        final List<String> command = new java.util.ArrayList<>(List.of("bash", launcher.toString()));
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("JAVA_OPTS", javaOpts);
        pb.environment().remove("MAILFLOW_JIT");
        pb.environment().putAll(env);
        final Process p = pb.start();
        final byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher returned");
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
