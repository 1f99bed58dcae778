package io.mailflow.ingest.follow;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The follower's mutable state of one content: its identity, where it was last seen, how far it
 * was read, and the open cursor if any. One instance follows the content across renames, copies
 * and gzip; a truncated file's new content gets a new instance.
 */
final class Tracked {
    final String stream;
    FileKey key;
    /** The first min(size, 1024) bytes as last seen; null until seen in this process. */
    byte[] head;
    Path path;
    long offset;
    long lines;
    boolean gz;
    /** Raw size at the last scan. */
    long size;
    LineCursor cursor;
    /** Found by the latest scan (in the globs, or beside its last path). */
    boolean present;
    /** Renamed, copied, compressed or gone since it was first followed: its unterminated last line may be final. */
    boolean rotated;
    /** Read to its final end; nothing more will be read from it. */
    boolean finished;
    /** System.nanoTime() of the last read that got bytes, for closing idle handles. */
    long lastActive;
    /** Resumed with context: read again from 0, the lines up to here are context; -1 otherwise. */
    long resumeOffset = -1;
    long resumeLines;

    Tracked(final String stream, final FileKey key, final Path path, final long offset, final long lines,
            final boolean gz) {
        this.stream = stream;
        this.key = key;
        this.path = path;
        this.offset = offset;
        this.lines = lines;
        this.gz = gz;
    }

    FollowPositions.Position position() {
        if (offset < resumeOffset) {
            // still reading context: the position is where the context ends, never behind it
            return new FollowPositions.Position(key, stream, path, resumeOffset, resumeLines, gz);
        }
        return new FollowPositions.Position(key, stream, path, offset, lines, gz);
    }

    /** Read again from the start; what lies before the old position comes back as context. */
    Tracked rewound() {
        final Tracked t = new Tracked(stream, key, path, 0, 0, gz);
        t.resumeOffset = offset;
        t.resumeLines = lines;
        return t;
    }

    /** Takes this scan's view of the file as its current place and head. */
    void seenAs(final Observed o) {
        present = true;
        if (!o.path().equals(path)) {
            rotated = true;
            path = o.path();
        }
        if (gz != o.gz()) {
            closeCursor();
            gz = o.gz();
            rotated = true;
            finished = false;
        }
        size = o.size();
        head = o.head();
        key = o.head().length > key.fingerprintLength() ? FileKey.of(o.inode(), o.head()) : key.withInode(o.inode());
    }

    boolean live() {
        return present || cursor != null;
    }

    void closeCursor() {
        if (cursor != null) {
            try {
                cursor.close();
            } catch (final IOException e) {
                // nothing was written through it; a failed close loses nothing
            }
            cursor = null;
        }
    }

    @Override
    public String toString() {
        return stream + ":" + path + "@" + offset + "#" + lines + (gz ? " gz" : "") + " " + key;
    }
}
