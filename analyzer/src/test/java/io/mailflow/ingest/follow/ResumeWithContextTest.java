package io.mailflow.ingest.follow;

import static io.mailflow.ingest.follow.Logs.append;
import static io.mailflow.ingest.follow.Logs.drain;
import static io.mailflow.ingest.follow.Logs.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shipper restarts with {@link FileFollower#resumeWithContext}: its files come back from their
 * start, the lines it had shipped marked as context (to rebuild parser state), then the new ones;
 * and the positions it would save meanwhile never fall behind where it resumed.
 */
@DisplayName("resume with context: shipped lines again as context, then only new lines, positions never behind")
class ResumeWithContextTest {
    @TempDir
    Path dir;

    @Test
    void shippedLinesComeBackAsContextAcrossARename() throws IOException {
        final List<FollowSpec> specs = Logs.spec("postfix", dir + "/mail.log*");
        final Path log = dir.resolve("mail.log");
        append(log, "a1\na2\n");
        final FollowPositions saved;
        try (FileFollower f = new FileFollower(specs, FollowPositions.empty())) {
            assertEquals(List.of("a1", "a2"), texts(f.poll(100)));
            saved = f.positions();
        }
        // while stopped: more lines, a rotation, a new file
        append(log, "a3\n");
        Logs.rename(log, dir.resolve("mail.log.1"));
        append(log, "b1\n");
        try (FileFollower f = FileFollower.resumeWithContext(specs, saved)) {
            final List<FollowedLine> first = f.poll(1);
            assertEquals(List.of("a1"), texts(first));
            assertEquals(true, first.get(0).context());
            final FollowPositions.Position renamed = f.positions().files().stream()
                .filter(p -> p.path().equals(dir.resolve("mail.log.1"))).findFirst().orElseThrow();
            assertEquals(List.of(6L, 2L), List.of(renamed.offset(), renamed.lines()),
                "reading context does not move the position back: " + f.positions());
            final List<FollowedLine> rest = drain(f);
            assertEquals(List.of("a2", "a3", "b1"), texts(rest));
            assertEquals(List.of(true, false, false), rest.stream().map(FollowedLine::context).toList());
            assertEquals(List.of(2L, 3L, 1L), rest.stream().map(FollowedLine::lineNumber).toList());
        }
    }

    @Test
    void aFirstStartHasNoContext() throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        try (FileFollower f = FileFollower.resumeWithContext(Logs.spec("postfix", dir + "/mail.log*"), FollowPositions.empty())) {
            assertEquals(List.of(false), drain(f).stream().map(FollowedLine::context).toList());
        }
    }
}
