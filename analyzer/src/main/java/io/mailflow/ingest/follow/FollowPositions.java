package io.mailflow.ingest.follow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Per file identity: stream, last path, offset (bytes consumed), lines consumed, whether gz; plus
 * what is needed to recognise the file again (its {@link FileKey}). Immutable snapshot.
 *
 * <p>The files are in the order the follower reads them (older content first), so a follower
 * restored from a snapshot keeps that order. The JSON is written by hand from a tree, field by
 * field, so its form does not depend on Jackson's record or property conventions, and
 * {@code fromJson(p.toJson()).equals(p)} and {@code fromJson(s).toJson().equals(s)} for any
 * {@code s} made by {@link #toJson()}.
 */
public final class FollowPositions {
    /** Version of the JSON form, checked on read so a later incompatible form fails loudly. */
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FollowPositions EMPTY = new FollowPositions(List.of());

    /** Where reading of one file's content stands. */
    public record Position(FileKey file, String stream, Path path, long offset, long lines, boolean gz) {
        public Position {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(path, "path");
            if (offset < 0 || lines < 0) {
                throw new IllegalArgumentException("negative offset or lines: " + offset + ", " + lines);
            }
        }
    }

    private final List<Position> files;

    public FollowPositions(final List<Position> files) {
        this.files = List.copyOf(files);
    }

    public static FollowPositions empty() {
        return EMPTY;
    }

    /** All files, older content first. */
    public List<Position> files() {
        return files;
    }

    public Optional<Position> get(final FileKey file) {
        return files.stream().filter(p -> p.file().equals(file)).findFirst();
    }

    public String toJson() {
        final ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        final ArrayNode array = root.putArray("files");
        for (final Position p : files) {
            final ObjectNode f = array.addObject();
            f.put("stream", p.stream());
            f.put("path", p.path().toString());
            if (p.file().inode() == null) {
                f.putNull("inode");
            } else {
                f.put("inode", p.file().inode());
            }
            f.put("fingerprint", p.file().fingerprint());
            f.put("fingerprintLength", p.file().fingerprintLength());
            f.put("offset", p.offset());
            f.put("lines", p.lines());
            f.put("gz", p.gz());
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always serialises", e);
        }
    }

    /** Reads what {@link #toJson()} wrote; IllegalArgumentException when it is not that. */
    public static FollowPositions fromJson(final String json) {
        final JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (final JsonProcessingException e) {
            throw new IllegalArgumentException("follow positions: not JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject() || root.path("version").asInt(-1) != VERSION
                || !root.path("files").isArray()) {
            throw new IllegalArgumentException("follow positions: not version " + VERSION + " positions");
        }
        final List<Position> files = new java.util.ArrayList<>();
        for (final JsonNode f : root.get("files")) {
            final JsonNode inode = f.path("inode");
            files.add(new Position(
                    new FileKey(inode.isTextual() ? inode.asText() : null, text(f, "fingerprint"),
                            (int) number(f, "fingerprintLength")),
                    text(f, "stream"), Path.of(text(f, "path")), number(f, "offset"), number(f, "lines"),
                    f.path("gz").asBoolean(false)));
        }
        return new FollowPositions(files);
    }

    private static String text(final JsonNode f, final String field) {
        final JsonNode n = f.get(field);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException("follow positions: " + field + " missing in " + f);
        }
        return n.asText();
    }

    private static long number(final JsonNode f, final String field) {
        final JsonNode n = f.get(field);
        if (n == null || !n.canConvertToLong()) {
            throw new IllegalArgumentException("follow positions: " + field + " missing in " + f);
        }
        return n.asLong();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof FollowPositions other && files.equals(other.files);
    }

    @Override
    public int hashCode() {
        return files.hashCode();
    }

    @Override
    public String toString() {
        return "FollowPositions" + files;
    }
}
