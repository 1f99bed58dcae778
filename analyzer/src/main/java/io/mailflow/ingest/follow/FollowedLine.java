package io.mailflow.ingest.follow;

import java.nio.file.Path;

/**
 * One complete line. file = identity of the file it was read from (its fingerprint still grows
 * while the file is shorter than 1024 bytes, see {@link FileKey}); lineNumber is 1-based within
 * that file (continues across a copytruncate copy / rename / gzip of the same content);
 * endOffset = byte offset just after the line's terminator in the file's (decompressed) content.
 * The text excludes the terminator (LF or CRLF) and a UTF-8 BOM at the start of the file.
 * context = read again after {@link FileFollower#resumeWithContext}: the line lies before the
 * position the follower was resumed from (it was shipped before) and only rebuilds state.
 */
public record FollowedLine(String stream, FileKey file, Path path, long lineNumber, long endOffset, String text,
                           boolean context) {
    /** A line read for the first time. */
    public FollowedLine(final String stream, final FileKey file, final Path path, final long lineNumber, final long endOffset,
                        final String text) {
        this(stream, file, path, lineNumber, endOffset, text, false);
    }
}
