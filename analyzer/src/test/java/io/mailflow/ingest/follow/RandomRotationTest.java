package io.mailflow.ingest.follow;

import static io.mailflow.ingest.follow.Logs.append;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writer, logrotate rotating by rename or copytruncate, gzip of older rotated files, polls
 * with random budgets and restarts from saved positions, lines written in two parts, in a random
 * order: every line written comes out exactly once, and in the order written. Runs 30 seeds;
 * {@code -Dfollow.seeds=4000 -Dfollow.seed=1} runs more.
 */
class RandomRotationTest {
    @TempDir
    Path dir;
    private Instant clock = Instant.now().minusSeconds(3600);
    /** The end of a line written only in part: a writer finishes its line before it reopens the file. */
    private String pending = "";

    static Stream<Long> seeds() {
        return Stream.iterate(Long.getLong("follow.seed", 1), n -> n + 1).limit(Long.getLong("follow.seeds", 30));
    }

    /** What a run wrote and read; positions = how many files the last positions held. */
    private record Run(List<String> written, List<String> read, List<String> events, int positions, int generations) {
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyLineExactlyOnceInOrder(final long seed) throws IOException {
        final Run run = run(seed, "/mail.log*");
        final List<String> events = run.events();
        final Set<String> unique = new HashSet<>(run.read());
        final List<String> missing = run.written().stream().filter(l -> !unique.contains(l)).map(RandomRotationTest::id)
                .toList();
        final List<String> twice = new ArrayList<>(run.read().stream().map(RandomRotationTest::id).toList());
        new HashSet<>(twice).forEach(twice::remove);
        assertTrue(run.positions() <= run.generations() + 1, "positions bounded");
        assertEquals(List.of(), missing, () -> "lost; events " + events);
        assertEquals(List.of(), twice, () -> "twice; events " + events);
        final List<String> readIds = run.read().stream().map(RandomRotationTest::id).toList();
        assertEquals(run.written().stream().map(RandomRotationTest::id).toList(), readIds,
                () -> "order: read " + readIds.stream().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList()
                        + "; events " + events);
    }

    /**
     * With the glob on the live file only, a generation born and rotated away between two polls
     * (or while stopped) is never seen, and a file deleted while stopped is gone: lines may be
     * missing, but never twice, never out of order, never cut.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void globOnTheLiveFileOnlyNeverTwiceNorOutOfOrder(final long seed) throws IOException {
        final Run run = run(seed, "/mail.log");
        final List<String> readIds = run.read().stream().map(RandomRotationTest::id).toList();
        final List<String> writtenIds = run.written().stream().map(RandomRotationTest::id).toList();
        int at = 0;
        for (final String id : readIds) {
            final int found = writtenIds.subList(at, writtenIds.size()).indexOf(id);
            assertTrue(found >= 0, () -> id + " twice, out of order or never written; read "
                    + readIds.stream().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList() + "; events " + run.events());
            at += found + 1;
        }
        assertTrue(run.written().containsAll(run.read()), "a line read that was not written");
    }

    private Run run(final long seed, final String glob) throws IOException {
        final Random random = new Random(seed);
        final List<FollowSpec> specs = Logs.spec("postfix", dir + glob);
        final Path log = dir.resolve("mail.log");
        final List<String> written = new ArrayList<>();
        final List<String> read = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        int generation = 0;
        // half of the runs close idle handles at once, so reopening is exercised too
        final Duration closeInactive = seed % 2 == 0 ? Duration.ZERO : FileFollower.DEFAULT_CLOSE_INACTIVE;
        FileFollower follower = new FileFollower(specs, FollowPositions.empty(), closeInactive);
        String saved = null;
        try {
            for (int step = 0; step < 60; step++) {
                final int dice = random.nextInt(100);
                if (dice < 35) {
                    final int n = 1 + random.nextInt(5);
                    final StringBuilder sb = new StringBuilder(pending);
                    for (int i = 0; i < n; i++) {
                        final String line = "seed " + seed + " line " + written.size() + " "
                                + "x".repeat(random.nextInt(400));
                        written.add(line);
                        sb.append(line).append(random.nextBoolean() ? "\n" : "\r\n");
                    }
                    // sometimes the last line is written in two parts, the terminator with the next write
                    final int cut = random.nextInt(4) == 0 ? 1 + random.nextInt(Math.min(40, sb.length() - 1)) : 0;
                    pending = sb.substring(sb.length() - cut);
                    append(log, sb.substring(0, sb.length() - cut));
                    tick(log);
                    events.add("append " + n);
                } else if (dice < 45) {
                    finishLine(log);
                    if (Files.exists(log)) {
                        gzipRotated();
                        Logs.rename(log, dir.resolve("mail.log." + ++generation));
                        events.add("rename");
                    }
                } else if (dice < 55) {
                    finishLine(log);
                    if (Files.exists(log)) {
                        gzipRotated();
                        Logs.copyTruncate(log, dir.resolve("mail.log." + ++generation));
                        tick(dir.resolve("mail.log." + generation));
                        events.add("copytruncate");
                    }
                } else if (dice < 65) {
                    if (follower != null) {
                        saved = Logs.stop(follower);
                        follower = null;
                        events.add("stop");
                    } else {
                        follower = new FileFollower(specs, FollowPositions.fromJson(saved), closeInactive);
                        events.add("start");
                    }
                } else if (dice < 70 && follower != null) {
                    // logrotate's rotate count: old .gz files go, once everything is read
                    read.addAll(Logs.texts(Logs.drain(follower)));
                    try (Stream<Path> files = Files.list(dir)) {
                        for (final Path p : files.filter(p -> p.toString().endsWith(".gz")).toList()) {
                            Files.delete(p);
                        }
                    }
                    events.add("drain, delete .gz");
                } else if (follower != null) {
                    final int budget = 1 + random.nextInt(8);
                    read.addAll(Logs.texts(follower.poll(budget)));
                    events.add("poll " + budget);
                }
            }
            finishLine(log);
            if (follower == null) {
                follower = Logs.start(specs, saved);
            }
            read.addAll(Logs.texts(Logs.drain(follower)));
        } finally {
            if (follower != null) {
                follower.close();
            }
        }
        return new Run(written, read, events, follower.positions().files().size(), generation);
    }

    private void finishLine(final Path log) throws IOException {
        if (!pending.isEmpty()) {
            append(log, pending);
            tick(log);
            pending = "";
        }
    }

    /**
     * Real writes in this test come within the same clock tick of the file system; the follower
     * orders files found in one scan by modification time, so each write gets its own second.
     */
    private void tick(final Path file) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(clock = clock.plusSeconds(1)));
    }

    private static String id(final String line) {
        final int end = line.indexOf(' ', line.indexOf("line ") + 5);
        return line.startsWith("seed ") && end > 0 ? line.substring(0, end) : "not written: " + line;
    }

    /** logrotate's compress with delaycompress: the previous rotated file is gzipped at the next rotation. */
    private void gzipRotated() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (final Path p : files.filter(p -> p.getFileName().toString().matches("mail\\.log\\.\\d+")).toList()) {
                // gzip keeps the file's modification time
                final FileTime modified = Files.getLastModifiedTime(p);
                Files.setLastModifiedTime(Logs.gzip(p), modified);
            }
        }
    }
}
