package io.mailflow.ingest.follow;

import static io.mailflow.ingest.follow.Logs.append;
import static io.mailflow.ingest.follow.Logs.drainTexts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FollowPositionsTest {
    @TempDir
    Path dir;

    @Test
    void jsonRoundTripsExactly() {
        final FollowPositions p = new FollowPositions(List.of(
                new FollowPositions.Position(FileKey.of("2049:1234", "a1\n".getBytes(StandardCharsets.UTF_8)),
                        "postfix", Path.of("/var/log/mail.log.1"), 3, 1, false),
                new FollowPositions.Position(FileKey.of(null, "x\"ü\n".getBytes(StandardCharsets.UTF_8)),
                        "ex \"01\"", Path.of("/logs/EX01/MSGTRK ü.LOG.gz"), Long.MAX_VALUE, 1L << 40, true)));
        final String json = p.toJson();
        final FollowPositions back = FollowPositions.fromJson(json);
        assertEquals(p, back);
        assertEquals(json, back.toJson());
        assertEquals(p.hashCode(), back.hashCode());
        assertEquals(FollowPositions.empty(), FollowPositions.fromJson(FollowPositions.empty().toJson()));
        assertNotNull(back.get(p.files().get(1).file()).orElseThrow());
    }

    @Test
    void notPositionsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> FollowPositions.fromJson("{"));
        assertThrows(IllegalArgumentException.class, () -> FollowPositions.fromJson("{\"version\":2,\"files\":[]}"));
        assertThrows(IllegalArgumentException.class,
                () -> FollowPositions.fromJson("{\"version\":1,\"files\":[{\"stream\":\"s\"}]}"));
    }

    @Test
    void keyHasInodeAndFingerprintOfTheFirstKilobyte() throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "x".repeat(2000) + "\n");
        try (FileFollower f = new FileFollower(Logs.spec("postfix", dir + "/mail.log*"), FollowPositions.empty())) {
            final FollowedLine line = f.poll(10).get(0);
            assertEquals(1024, line.file().fingerprintLength());
            assertEquals(FileKey.of(line.file().inode(), "x".repeat(1024).getBytes(StandardCharsets.UTF_8)),
                    line.file());
            assertNotNull(line.file().inode());
            assertEquals(f.positions().files().get(0).file(), line.file());
        }
    }

    @Test
    void filesThatNoLongerExistAnywhereAreForgotten() throws IOException {
        final List<FollowSpec> specs = Logs.spec("ex01", dir + "/MSGTRK*.LOG");
        for (int h = 0; h < 5; h++) {
            append(dir.resolve("MSGTRK202612020" + h + "-1.LOG"), "#Date: 0" + h + "\n");
        }
        try (FileFollower f = new FileFollower(specs, FollowPositions.empty())) {
            assertEquals(5, drainTexts(f).size());
            assertEquals(5, f.positions().files().size());
            for (int h = 0; h < 4; h++) {
                Files.delete(dir.resolve("MSGTRK202612020" + h + "-1.LOG"));
            }
            // read to their ends through the open handles, then dropped by the next scan
            assertEquals(List.of(), drainTexts(f));
            assertEquals(List.of(), f.poll(10));
            assertEquals(1, f.positions().files().size());
            assertEquals(1, f.lagBytes().size());
        }
        // a saved state naming files gone while stopped, and a stream no longer configured
        final FollowPositions stale = new FollowPositions(List.of(
                new FollowPositions.Position(FileKey.of("1:2", new byte[] {'q'}), "ex01", dir.resolve("MSGTRKgone.LOG"),
                        1, 1, false),
                new FollowPositions.Position(FileKey.of("1:3", new byte[] {'r'}), "dropped", dir.resolve("x.log"),
                        1, 1, false)));
        try (FileFollower f = new FileFollower(specs, stale)) {
            assertEquals(1, f.positions().files().size());
            assertEquals(List.of("#Date: 04"), drainTexts(f));
            assertEquals(1, f.positions().files().size());
            assertEquals(dir.resolve("MSGTRK2026120204-1.LOG"), f.positions().files().get(0).path());
        }
    }
}
