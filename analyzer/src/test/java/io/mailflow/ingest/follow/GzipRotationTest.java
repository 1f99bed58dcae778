package io.mailflow.ingest.follow;

import static io.mailflow.ingest.follow.Logs.append;
import static io.mailflow.ingest.follow.Logs.drain;
import static io.mailflow.ingest.follow.Logs.drainTexts;
import static io.mailflow.ingest.follow.Logs.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rotated file gzipped (mail.log.1 → mail.log.1.gz, original deleted) before its end was read. */
class GzipRotationTest {
    @TempDir
    Path dir;

    private List<FollowSpec> specs(final boolean globMatchesGz) {
        return Logs.spec("postfix", dir + (globMatchesGz ? "/mail.log*" : "/mail.log"));
    }

    @ParameterizedTest(name = "glob matches .gz: {0}")
    @ValueSource(booleans = {true, false})
    void gzippedWhileRunningIsReadThroughTheOpenHandleAndNotAgain(final boolean globMatchesGz) throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        try (FileFollower f = new FileFollower(specs(globMatchesGz), FollowPositions.empty())) {
            assertEquals(List.of("a1"), texts(f.poll(100)));
            append(log, "a2\na3 cut");
            Logs.rename(log, dir.resolve("mail.log.1"));
            append(log, "b1\n");
            Logs.gzip(dir.resolve("mail.log.1"));
            assertEquals(List.of("a2", "a3 cut", "b1"), drainTexts(f));
            append(log, "b2\n");
            assertEquals(List.of("b2"), drainTexts(f));
            final String saved = Logs.stop(f);
            try (FileFollower g = Logs.start(specs(globMatchesGz), saved)) {
                assertEquals(List.of(), drainTexts(g));
            }
        }
    }

    @ParameterizedTest(name = "glob matches .gz: {0}")
    @ValueSource(booleans = {true, false})
    void renamedAndGzippedWhileStoppedContinuesInTheDecompressedContent(final boolean globMatchesGz)
            throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\na2\n");
        final String saved;
        try (FileFollower f = new FileFollower(specs(globMatchesGz), FollowPositions.empty())) {
            assertEquals(List.of("a1", "a2"), texts(f.poll(100)));
            saved = Logs.stop(f);
        }
        append(log, "a3\na4 cut");
        Logs.rename(log, dir.resolve("mail.log.1"));
        append(log, "b1\n");
        final Path gz = Logs.gzip(dir.resolve("mail.log.1"));
        try (FileFollower f = Logs.start(specs(globMatchesGz), saved)) {
            final List<FollowedLine> got = drain(f);
            assertEquals(List.of("a3", "a4 cut", "b1"), texts(got));
            assertEquals(List.of(3L, 4L, 1L), got.stream().map(FollowedLine::lineNumber).toList());
            assertEquals(gz, got.get(0).path());
            assertEquals(List.of(9L, 15L), got.subList(0, 2).stream().map(FollowedLine::endOffset).toList());
            final String again = Logs.stop(f);
            try (FileFollower g = Logs.start(specs(globMatchesGz), again)) {
                assertEquals(List.of(), drainTexts(g));
            }
        }
    }

    @ParameterizedTest(name = "glob matches .gz: {0}")
    @ValueSource(booleans = {true, false})
    void copyTruncatedAndCopyGzippedWhileStopped(final boolean globMatchesGz) throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        final String saved;
        try (FileFollower f = new FileFollower(specs(globMatchesGz), FollowPositions.empty())) {
            assertEquals(List.of("a1"), texts(f.poll(100)));
            saved = Logs.stop(f);
        }
        append(log, "a2\n");
        Logs.copyTruncate(log, dir.resolve("mail.log.1"));
        append(log, "b1\n");
        Logs.gzip(dir.resolve("mail.log.1"));
        try (FileFollower f = Logs.start(specs(globMatchesGz), saved)) {
            assertEquals(List.of("a2", "b1"), drainTexts(f));
        }
    }

    @Test
    void fullyReadGzIsNotReadAgainAfterItsOriginal() throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        try (FileFollower f = new FileFollower(specs(true), FollowPositions.empty())) {
            assertEquals(List.of("a1"), texts(f.poll(100)));
            Logs.rename(log, dir.resolve("mail.log.1"));
            append(log, "b1\n");
            assertEquals(List.of("b1"), drainTexts(f));
            Logs.gzip(dir.resolve("mail.log.1"));
            assertEquals(List.of(), drainTexts(f));
            // the next rotation: delaycompress style renames of the .gz change nothing
            Logs.rename(dir.resolve("mail.log.1.gz"), dir.resolve("mail.log.2.gz"));
            assertEquals(List.of(), drainTexts(f));
            assertTrue(f.positions().files().stream().anyMatch(p -> p.gz() && p.offset() == 3 && p.lines() == 1));
        }
    }

    @Test
    void gzStillBeingWrittenIsReadOnceComplete() throws IOException {
        final byte[] gz = Logs.gzipBytes("old1\nold2\n");
        final Path file = dir.resolve("mail.log.2.gz");
        Files.write(file, Arrays.copyOf(gz, 12));
        try (FileFollower f = new FileFollower(specs(true), FollowPositions.empty())) {
            assertEquals(List.of(), drainTexts(f));
            Files.write(file, gz);
            assertEquals(List.of("old1", "old2"), drainTexts(f));
            assertEquals(List.of(), drainTexts(f));
        }
    }
}
