package io.mailflow.ingest.follow;

import static io.mailflow.ingest.follow.Logs.append;
import static io.mailflow.ingest.follow.Logs.drain;
import static io.mailflow.ingest.follow.Logs.drainTexts;
import static io.mailflow.ingest.follow.Logs.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting at the end of existing files, handles closed when idle, and logrotate's copy/truncate window. */
class StartAndIdleTest {
    @TempDir
    Path dir;

    private List<FollowSpec> specs() {
        return Logs.spec("postfix", dir + "/mail.log*");
    }

    @Test
    void endOfExistingFilesSkipsWhatIsThere() throws IOException {
        append(dir.resolve("mail.log.1"), "old1\n");
        append(dir.resolve("mail.log"), "a1\na2\n");
        final FollowPositions end = FileFollower.endOfExistingFiles(specs());
        append(dir.resolve("mail.log"), "a3\n");
        try (FileFollower f = new FileFollower(specs(), FollowPositions.fromJson(end.toJson()))) {
            final List<FollowedLine> got = drain(f);
            assertEquals(List.of("a3"), texts(got));
            assertEquals(3L, got.get(0).lineNumber());
        }
    }

    @Test
    void idleHandlesAreClosedAndRotationsStillFollowed() throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty(), Duration.ZERO)) {
            assertEquals(List.of("a1"), drainTexts(f));
            append(log, "a2\n");
            assertEquals(List.of("a2"), drainTexts(f));
            append(log, "a3\n");
            Logs.rename(log, dir.resolve("mail.log.1"));
            append(log, "b1\n");
            assertEquals(List.of("a3", "b1"), drainTexts(f));
            append(log, "b2\n");
            Logs.copyTruncate(log, dir.resolve("mail.log.2"));
            append(log, "c1\n");
            assertEquals(List.of("b2", "c1"), drainTexts(f));
            append(log, "c2\n");
            Logs.truncate(log);
            append(log, "d1\n");
            assertEquals(List.of("d1"), drainTexts(f));
        }
    }

    @Test
    void linesReadBetweenLogrotatesCopyAndTruncateAreNotReadAgainFromTheCopy() throws IOException {
        final Path log = dir.resolve("mail.log");
        final String filler = "x".repeat(1100);
        append(log, filler + "\na1\n");
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty())) {
            assertEquals(List.of(filler, "a1"), drainTexts(f));
            append(log, "a2\n");
            java.nio.file.Files.copy(log, dir.resolve("mail.log.1"));
            // written after the copy, before the truncate: only the original has it, and it is read from there
            append(log, "a3\n");
            assertEquals(List.of("a2", "a3"), drainTexts(f));
            Logs.truncate(log);
            append(log, "b1\n");
            assertEquals(List.of("b1"), drainTexts(f));
            assertEquals(List.of(), drainTexts(f));
        }
    }
}
