package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.ingest.follow.FileKey;
import io.mailflow.ingest.follow.FollowPositions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("ship checkpoints: the same JSON in Kafka and in the state file, written whole or not at all")
class ShipCheckpointTest {
    @TempDir
    Path dir;

    private static ShipCheckpoint sample() {
        return ShipCheckpoint.first("mx1").next(new FollowPositions(List.of(new FollowPositions.Position(
            new FileKey("64:7", "ab".repeat(32), 1024), "/var/log/mail.log*", Path.of("/var/log/mail.log.1"), 4096, 31, false))));
    }

    @Test
    void roundTripsThroughJsonAndTheStateFile() {
        final ShipCheckpoint checkpoint = sample();
        assertEquals(1, checkpoint.seq());
        assertEquals(checkpoint, ShipCheckpoint.fromJson(checkpoint.toJson()));
        final Path state = dir.resolve("state/ship.state");
        assertEquals(Optional.empty(), ShipCheckpoint.readFile(state));
        checkpoint.writeFile(state);
        checkpoint.next(checkpoint.positions()).writeFile(state);
        assertEquals(2, ShipCheckpoint.readFile(state).orElseThrow().seq(), "the newer checkpoint replaced the older");
        assertEquals(List.of(state), listing(state.getParent()), "no temporary file left beside it");
    }

    @Test
    void aDamagedStateFileSaysWhatToDo() throws Exception {
        final Path state = Files.writeString(dir.resolve("ship.state"), "{\"shipper\":\"mx1\"");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShipCheckpoint.readFile(state));
        assertTrue(e.getMessage().contains("is damaged") && e.getMessage().contains("move it away"), e.getMessage());
    }

    private static List<Path> listing(final Path dir) {
        try (var files = Files.list(dir)) {
            return files.toList();
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
