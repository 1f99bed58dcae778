package io.mailflow.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mailflow.ingest.follow.FollowPositions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * How far a shipper has got: its name, a sequence number that grows with every committed
 * transaction, and the position in every file it follows. The same JSON is written twice: into
 * the positions topic inside the transaction that carries the records (what a restart trusts,
 * since it is committed or aborted together with them), and into the state file after the commit
 * (for operators to read, and for a restart when the topic has lost it: the higher sequence wins).
 */
public record ShipCheckpoint(String shipper, long seq, FollowPositions positions) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static ShipCheckpoint first(final String shipper) {
        return new ShipCheckpoint(shipper, 0, FollowPositions.empty());
    }

    public ShipCheckpoint next(final FollowPositions now) {
        return new ShipCheckpoint(shipper, seq + 1, now);
    }

    public String toJson() {
        final ObjectNode node = JSON.createObjectNode();
        node.put("shipper", shipper);
        node.put("seq", seq);
        try {
            node.set("positions", JSON.readTree(positions.toJson()));
            return JSON.writeValueAsString(node);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ShipCheckpoint fromJson(final String json) {
        try {
            final JsonNode node = JSON.readTree(json);
            if (node == null || !node.hasNonNull("shipper") || !node.hasNonNull("seq") || !node.hasNonNull("positions")) {
                throw new IllegalArgumentException("not a mailflow ship checkpoint (shipper, seq, positions): "
                    + (json.length() > 80 ? json.substring(0, 80) + "..." : json));
            }
            return new ShipCheckpoint(node.get("shipper").asText(), node.get("seq").asLong(),
                FollowPositions.fromJson(JSON.writeValueAsString(node.get("positions"))));
        } catch (final IOException e) {
            throw new IllegalArgumentException("not a mailflow ship checkpoint: " + e.getMessage(), e);
        }
    }

    /** The state file's checkpoint, if there is one. */
    public static Optional<ShipCheckpoint> readFile(final Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(fromJson(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the state file " + file + ": " + e.getMessage(), e);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("the state file " + file + " is damaged: " + e.getMessage()
                + "; move it away to start from the positions in Kafka", e);
        }
    }

    /**
     * Writes the state file so that a crash at any moment leaves either the old or the new file
     * whole: a temporary file beside it, forced to disk, then renamed over it.
     */
    public void writeFile(final Path file) {
        final Path dir = file.toAbsolutePath().getParent();
        final Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(dir);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
                channel.write(java.nio.ByteBuffer.wrap(toJson().getBytes(StandardCharsets.UTF_8)));
                channel.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (final AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write the state file " + file + ": " + e.getMessage(), e);
        }
    }
}
