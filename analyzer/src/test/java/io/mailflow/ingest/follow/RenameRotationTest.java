package io.mailflow.ingest.follow;

import static io.mailflow.ingest.follow.Logs.append;
import static io.mailflow.ingest.follow.Logs.drain;
import static io.mailflow.ingest.follow.Logs.drainTexts;
import static io.mailflow.ingest.follow.Logs.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** logrotate's default: mail.log renamed to mail.log.1, a new mail.log created. */
class RenameRotationTest {
    @TempDir
    Path dir;

    /** With "mail.log*" the renamed file stays in the globs; with "mail.log" it leaves them. */
    private List<FollowSpec> specs(final boolean globMatchesRotated) {
        return Logs.spec("postfix", dir + (globMatchesRotated ? "/mail.log*" : "/mail.log"));
    }

    @ParameterizedTest(name = "glob matches mail.log.1: {0}")
    @ValueSource(booleans = {true, false})
    void restOfRenamedFileFirstThenNewFile(final boolean globMatchesRotated) throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\na2\n");
        try (FileFollower f = new FileFollower(specs(globMatchesRotated), FollowPositions.empty())) {
            assertEquals(List.of("a1", "a2"), texts(f.poll(100)));
            append(log, "a3\n");
            Logs.rename(log, dir.resolve("mail.log.1"));
            append(dir.resolve("mail.log.1"), "a4 written before the HUP\n");
            append(log, "b1\n");
            final List<FollowedLine> got = drain(f);
            assertEquals(List.of("a3", "a4 written before the HUP", "b1"), texts(got));
            assertEquals(List.of(3L, 4L, 1L), got.stream().map(FollowedLine::lineNumber).toList());
            assertEquals(got.get(0).file().fingerprint(), got.get(1).file().fingerprint());
            append(log, "b2\n");
            assertEquals(List.of("b2"), drainTexts(f));
            assertEquals(globMatchesRotated ? 2 : 1, f.positions().files().size());
        }
    }

    @ParameterizedTest(name = "glob matches mail.log.1: {0}")
    @ValueSource(booleans = {true, false})
    void polledBetweenRenameAndCreate(final boolean globMatchesRotated) throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        try (FileFollower f = new FileFollower(specs(globMatchesRotated), FollowPositions.empty())) {
            assertEquals(List.of("a1"), texts(f.poll(100)));
            append(log, "a2\n");
            Logs.rename(log, dir.resolve("mail.log.1"));
            assertEquals(List.of("a2"), drainTexts(f));
            append(log, "b1\n");
            assertEquals(List.of("b1"), drainTexts(f));
        }
    }

    @ParameterizedTest(name = "glob matches mail.log.1: {0}")
    @ValueSource(booleans = {true, false})
    void unterminatedLastLineOfRenamedFileIsReturnedBeforeTheNewFile(final boolean globMatchesRotated)
            throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        try (FileFollower f = new FileFollower(specs(globMatchesRotated), FollowPositions.empty())) {
            assertEquals(List.of("a1"), texts(f.poll(100)));
            append(log, "a2\na3 cut");
            Logs.rename(log, dir.resolve("mail.log.1"));
            append(log, "b1\n");
            assertEquals(List.of("a2", "a3 cut", "b1"), drainTexts(f));
        }
    }

    @ParameterizedTest(name = "glob matches mail.log.1: {0}")
    @ValueSource(booleans = {true, false})
    void renamedWhileStopped(final boolean globMatchesRotated) throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\na2\n");
        final String saved;
        try (FileFollower f = new FileFollower(specs(globMatchesRotated), FollowPositions.empty())) {
            assertEquals(List.of("a1", "a2"), texts(f.poll(100)));
            saved = Logs.stop(f);
        }
        append(log, "a3\na4 cut");
        Logs.rename(log, dir.resolve("mail.log.1"));
        append(log, "b1\n");
        try (FileFollower f = Logs.start(specs(globMatchesRotated), saved)) {
            final List<FollowedLine> got = drain(f);
            assertEquals(List.of("a3", "a4 cut", "b1"), texts(got));
            assertEquals(List.of(3L, 4L, 1L), got.stream().map(FollowedLine::lineNumber).toList());
            final String again = Logs.stop(f);
            try (FileFollower g = Logs.start(specs(globMatchesRotated), again)) {
                assertEquals(List.of(), drainTexts(g));
            }
        }
    }

    @ParameterizedTest(name = "glob matches mail.log.1: {0}")
    @ValueSource(booleans = {true, false})
    void renamedTwiceWhileStoppedWithBothGenerationsKept(final boolean globMatchesRotated) throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        final String saved;
        try (FileFollower f = new FileFollower(specs(globMatchesRotated), FollowPositions.empty())) {
            assertEquals(List.of("a1"), texts(f.poll(100)));
            saved = Logs.stop(f);
        }
        append(log, "a2\n");
        Logs.rename(log, dir.resolve("mail.log.1"));
        append(log, "b1\n");
        // files found in one scan go by modification time; the test's writes are too quick to differ
        Files.setLastModifiedTime(log, FileTime.from(Instant.now().minusSeconds(60)));
        Logs.rename(dir.resolve("mail.log.1"), dir.resolve("mail.log.2"));
        Logs.rename(log, dir.resolve("mail.log.1"));
        append(log, "c1\n");
        try (FileFollower f = Logs.start(specs(globMatchesRotated), saved)) {
            final List<String> got = drainTexts(f);
            // the saved file's rest first; the generation born while stopped only when the globs match it
            assertEquals(globMatchesRotated ? List.of("a2", "b1", "c1") : List.of("a2", "c1"), got);
        }
    }
}
