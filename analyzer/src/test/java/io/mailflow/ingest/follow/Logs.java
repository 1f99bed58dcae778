package io.mailflow.ingest.follow;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Writes and rotates log files the way syslog, logrotate and Exchange do, and drives followers. */
final class Logs {
    private Logs() {
    }

    static void append(final Path file, final String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    static void appendBytes(final Path file, final byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** logrotate's default: rename, and the writer creates a new file. */
    static void rename(final Path from, final Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    }

    /** logrotate's copytruncate: copy, then truncate the original in place (same inode). */
    static void copyTruncate(final Path file, final Path copy) throws IOException {
        Files.copy(file, copy);
        try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(0);
        }
    }

    static void truncate(final Path file) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(0);
        }
    }

    /** gzip FILE: writes FILE.gz, then deletes FILE. */
    static Path gzip(final Path file) throws IOException {
        final Path gz = file.resolveSibling(file.getFileName() + ".gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            Files.copy(file, out);
        }
        Files.delete(file);
        return gz;
    }

    static byte[] gzipBytes(final String text) throws IOException {
        final var bytes = new java.io.ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    static List<String> texts(final List<FollowedLine> lines) {
        return lines.stream().map(FollowedLine::text).toList();
    }

    /** Polls until a poll returns nothing (a rotated file's last line needs one quiet poll). */
    static List<FollowedLine> drain(final FileFollower follower) throws IOException {
        final List<FollowedLine> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            final List<FollowedLine> got = follower.poll(1000);
            if (got.isEmpty()) {
                return all;
            }
            all.addAll(got);
        }
        throw new AssertionError("the follower never ran dry: " + all.size() + " lines");
    }

    static List<String> drainTexts(final FileFollower follower) throws IOException {
        return texts(drain(follower));
    }

    /** Saves the positions as the ship command would and closes the follower. */
    static String stop(final FileFollower follower) {
        final String json = follower.positions().toJson();
        follower.close();
        return json;
    }

    static FileFollower start(final List<FollowSpec> specs, final String json) {
        return new FileFollower(specs, FollowPositions.fromJson(json));
    }

    static List<FollowSpec> spec(final String stream, final Path... globs) {
        return List.of(new FollowSpec(stream, java.util.Arrays.stream(globs).map(Path::toString).toList()));
    }

    static List<FollowSpec> spec(final String stream, final String... globs) {
        return List.of(new FollowSpec(stream, List.of(globs)));
    }
}
