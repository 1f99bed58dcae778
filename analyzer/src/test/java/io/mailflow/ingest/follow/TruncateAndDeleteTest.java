package io.mailflow.ingest.follow;

import static io.mailflow.ingest.follow.Logs.append;
import static io.mailflow.ingest.follow.Logs.drain;
import static io.mailflow.ingest.follow.Logs.drainTexts;
import static io.mailflow.ingest.follow.Logs.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truncation in place without a copy, and deletion. */
class TruncateAndDeleteTest {
    @TempDir
    Path dir;

    private List<FollowSpec> specs() {
        return Logs.spec("postfix", dir + "/mail.log*");
    }

    @Test
    void truncatedInPlaceRestartsFromZero() throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\na2\n");
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty())) {
            assertEquals(List.of("a1", "a2"), texts(f.poll(100)));
            Logs.truncate(log);
            assertEquals(List.of(), drainTexts(f));
            append(log, "b1\n");
            final List<FollowedLine> got = drain(f);
            assertEquals(List.of("b1"), texts(got));
            assertEquals(1L, got.get(0).lineNumber());
            // truncated and written past the old offset between two polls: the head tells
            Logs.truncate(log);
            append(log, "c1 longer than before\n");
            assertEquals(List.of("c1 longer than before"), drainTexts(f));
            assertEquals(1, f.positions().files().size());
        }
    }

    @Test
    void truncatedInPlaceWhileStopped() throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\na2\n");
        final String saved;
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty())) {
            assertEquals(List.of("a1", "a2"), texts(f.poll(100)));
            saved = Logs.stop(f);
        }
        Logs.truncate(log);
        append(log, "b1\n");
        try (FileFollower f = Logs.start(specs(), saved)) {
            assertEquals(List.of("b1"), drainTexts(f));
        }
        Logs.truncate(log);
        append(log, "c1 longer than before\n");
        try (FileFollower f = Logs.start(specs(), saved)) {
            assertEquals(List.of("c1 longer than before"), drainTexts(f));
        }
    }

    @Test
    void deletedWhileOpenIsReadToItsEndThenForgotten() throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty())) {
            assertEquals(List.of("a1"), texts(f.poll(100)));
            append(log, "a2\na3 cut");
            Files.delete(log);
            assertEquals(List.of("a2"), texts(f.poll(100)));
            // no new bytes for a whole poll: the cut line is final
            assertEquals(List.of("a3 cut"), texts(f.poll(100)));
            assertEquals(List.of(), f.poll(100));
            assertEquals(List.of(), f.positions().files());
            assertEquals(Map.of(), f.lagBytes());
        }
    }

    @Test
    void deletedWhileStoppedIsForgotten() throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        final String saved;
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty())) {
            assertEquals(List.of("a1"), texts(f.poll(100)));
            saved = Logs.stop(f);
        }
        Files.delete(log);
        try (FileFollower f = Logs.start(specs(), saved)) {
            assertEquals(1, f.positions().files().size());
            assertEquals(List.of(), drainTexts(f));
            assertEquals(List.of(), f.positions().files());
        }
    }
}
