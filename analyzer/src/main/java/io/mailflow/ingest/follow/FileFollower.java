package io.mailflow.ingest.follow;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Follows log files as mail servers write them, like Filebeat's filestream input: Exchange's
 * hourly MSGTRK*.LOG files, and syslog files that logrotate rotates by rename + create or by
 * copytruncate and then gzips. The caller polls; there are no threads inside.
 *
 * <h2>Identity</h2>
 * What is followed is a file's <em>content</em>, identified by a {@link FileKey}: the inode
 * (dev:ino) and a fingerprint of the first min(size, 1024) bytes of the (decompressed) content.
 * Each poll rescans the globs and matches every file it finds to known content:
 * <ol>
 * <li>by inode: the same inode whose head still matches the fingerprint and which did not shrink
 *     below what was read is the same content (a rename just updates its path). Same inode but
 *     other head, or shrunk: the file was truncated (in place, or by copytruncate); the old content
 *     loses its inode and the file is new content, read from 0;</li>
 * <li>by fingerprint, for content that has no file any more (truncated, or restored from
 *     positions and not found at its inode): a file with another inode whose first bytes hash to
 *     the fingerprint and which holds at least the bytes read is its copy, or its .gz: reading
 *     continues there at the saved offset (in the decompressed bytes for a .gz);</li>
 * <li>a file whose head equals the head of content still being read (a copy in progress, the .gz
 *     gzip is writing while the original is still open) is left alone until that content is done:
 *     then step 2 makes it the same content and nothing is read twice. An empty file is left alone
 *     until it has bytes;</li>
 * <li>anything else is new content, read from offset 0. New files found in one scan are read in
 *     the order of their modification time, then name; known content always before them.</li>
 * </ol>
 * Content that no glob finds any more is looked for once beside its last path (same directory,
 * name starting with the last file name: mail.log → mail.log.1, mail.log-20261202.gz) by inode or
 * fingerprint, so a rotation to a name outside the globs while the follower was stopped still
 * loses nothing. Content not found there either is forgotten, which bounds the positions.
 *
 * <h2>Reading</h2>
 * A plain file is read through an open FileChannel, so after a rename or delete its rest is still
 * read through that handle ("gone"). Complete lines only: the unterminated last line of a file
 * waits for its LF, or is returned as the file's last line once the file is final: a .gz read to
 * its end, or a file renamed / deleted / copied away at whose end a whole poll found no new bytes
 * (the writer may still append to a renamed file until logrotate's postrotate signal). A gone file
 * is closed after that; a renamed one still in the globs is kept following. Handles of files idle
 * at their end for {@code closeInactive} are closed and reopened when the file grows, so thousands
 * of finished Exchange logs do not hold thousands of descriptors. Lines and offsets as
 * {@link LineCursor} cuts them.
 *
 * <h2>Positions</h2>
 * {@link #positions()} is exact after every poll: offsets and line counts only move with lines
 * returned, so a follower restored from them continues after the last line returned, whatever of
 * the cases above happened in between.
 *
 * <h2>Knowingly not handled</h2>
 * <ul>
 * <li>Content replaced in place (truncated and rewritten) whose first bytes equal the old ones and
 *     which is already longer than what was read: taken as the same content (Filebeat has the same
 *     blind spot). Timestamps in the first line make this practically impossible for mail logs.</li>
 * <li>Two files with identical first bytes that both stay (a copy kept next to its original):
 *     read once, as one content.</li>
 * <li>Rotated twice while stopped: rename + create twice (mail.log → .1 → .2) works when the
 *     globs or the siblings rule find the old inode; the middle generation (written only while
 *     stopped) is read as new content. Copytruncate twice while stopped loses the lines appended
 *     to the first copy's content after the saved offset only if that copy was deleted; if it
 *     still exists (mail.log.2) it is found by fingerprint. Rotated and deleted (rotate count
 *     reached) while stopped: its unread rest is lost, as it no longer exists.</li>
 * <li>Lines appended to an idle file whose handle was closed after {@code closeInactive} and then
 *     deleted before the next poll: lost. A .gz that stays truncated (gzip killed): waits forever.</li>
 * <li>UTF-16 logs (Exchange Online downloads): not handled here; on-premises tracking logs are UTF-8.</li>
 * <li>A file that starts exactly like another still being read is only deferred, never read, as
 *     long as that other content is live; mail logs start with distinct timestamps.</li>
 * </ul>
 */
public final class FileFollower implements Closeable {
    /** Idle handles are closed after this; Filebeat's close.on_state_change.inactive default. */
    public static final Duration DEFAULT_CLOSE_INACTIVE = Duration.ofMinutes(5);

    private final Globs globs;
    private final Probe probe = new Probe();
    private final List<String> streams;
    /** Known content, in reading order: older first. */
    private final List<Tracked> tracked = new ArrayList<>();
    private final long closeInactiveNanos;
    private int polls;
    private boolean closed;

    public FileFollower(final List<FollowSpec> specs, final FollowPositions start) {
        this(specs, start, DEFAULT_CLOSE_INACTIVE);
    }

    public FileFollower(final List<FollowSpec> specs, final FollowPositions start, final Duration closeInactive) {
        this.globs = new Globs(specs);
        final Set<String> names = new LinkedHashSet<>();
        specs.forEach(s -> names.add(s.stream()));
        this.streams = List.copyOf(names);
        this.closeInactiveNanos = closeInactive.toNanos();
        for (final FollowPositions.Position p : start.files()) {
            // a stream no longer configured is not followed any more
            if (names.contains(p.stream())) {
                tracked.add(new Tracked(p.stream(), p.file(), p.path(), p.offset(), p.lines(), p.gz()));
            }
        }
    }

    /**
     * Positions as if every line the matching files hold now had been read: for a first start
     * that should ship only what is written from now on. Reads (and discards) the files once, to
     * count their lines.
     */
    public static FollowPositions endOfExistingFiles(final List<FollowSpec> specs) throws IOException {
        final int batch = 10_000;
        try (FileFollower f = new FileFollower(specs, FollowPositions.empty())) {
            // a file that keeps growing while we skip must not keep us here: stop at the first short batch
            while (f.poll(batch).size() == batch) {
                // skipping
            }
            return f.positions();
        }
    }

    /**
     * Rescans the globs and reads what is new: complete lines only (a trailing line without
     * terminator waits until it is terminated, or until the file is rotated away / deleted and
     * at EOF: then it is returned as the last line), at most maxLines, older files of a stream
     * before newer ones. Streams take turns in starting a poll, so one stream's backlog does not
     * starve another. Returns an empty list when nothing is new.
     */
    public List<FollowedLine> poll(final int maxLines) throws IOException {
        if (closed) {
            throw new IllegalStateException("follower closed");
        }
        if (maxLines < 1) {
            throw new IllegalArgumentException("maxLines " + maxLines);
        }
        scan();
        final List<FollowedLine> out = new ArrayList<>();
        for (int s = 0; s < streams.size() && out.size() < maxLines; s++) {
            final String stream = streams.get((polls + s) % streams.size());
            for (final Tracked t : tracked) {
                if (out.size() >= maxLines) {
                    break;
                }
                if (t.stream.equals(stream) && !t.finished) {
                    read(t, out, maxLines);
                    if (t.rotated && t.cursor != null && t.cursor.hasPartialLine()) {
                        // its last line may still be final: newer files of the stream wait a poll for it
                        break;
                    }
                }
            }
        }
        polls++;
        return out;
    }

    /** Positions after the last line returned by poll() (what to save once those lines are safely in Kafka). */
    public FollowPositions positions() {
        return new FollowPositions(tracked.stream().map(Tracked::position).toList());
    }

    /**
     * Bytes not yet read, per path currently followed (for a lag metric). For a .gz not yet read
     * to its end the decompressed size is unknown: its compressed size stands in.
     */
    public Map<Path, Long> lagBytes() {
        final Map<Path, Long> lag = new LinkedHashMap<>();
        for (final Tracked t : tracked) {
            if (t.finished || !t.live()) {
                continue;
            }
            long behind;
            if (t.gz) {
                behind = t.size;
            } else {
                try {
                    behind = (t.cursor != null ? t.cursor.source().size() : t.size) - t.offset;
                } catch (final IOException e) {
                    behind = t.size - t.offset;
                }
            }
            lag.merge(t.path, Math.max(0, behind), Long::sum);
        }
        return lag;
    }

    @Override
    public void close() {
        closed = true;
        tracked.forEach(Tracked::closeCursor);
    }

    private void scan() throws IOException {
        final Map<Path, String> found = globs.scan();
        final List<Observed> seen = new ArrayList<>();
        for (final Map.Entry<Path, String> e : found.entrySet()) {
            final Observed o = probe.observe(e.getKey(), e.getValue());
            if (o != null) {
                seen.add(o);
            }
        }
        seen.sort(Comparator.comparing(Observed::modified).thenComparing(Observed::path));
        final Set<String> inodes = new HashSet<>();
        seen.forEach(o -> inodes.add(o.inode()));
        for (final Tracked t : tracked) {
            t.present = false;
            if (t.cursor != null && !inodes.contains(t.key.inode())
                    && !t.cursor.source().stillHolds(t.key, t.cursor.readOffset())) {
                // gone from the globs, and truncated (or rewritten) under our open handle before that
                // (copytruncate, then renamed or deleted): the content is no longer there, so it becomes
                // an orphan its copy can claim below. Files still in the globs get this check by path.
                detach(t);
            }
        }
        final Map<String, Tracked> byInode = new HashMap<>();
        for (final Tracked t : tracked) {
            if (t.key.inode() != null) {
                byInode.putIfAbsent(t.key.inode(), t);
            }
        }

        final List<Observed> unmatched = new ArrayList<>();
        for (final Observed o : seen) {
            final Tracked t = o.inode() != null ? byInode.remove(o.inode()) : byPath(o);
            if (t == null) {
                unmatched.add(o);
            } else if (!o.headComplete()) {
                t.present = true; // the .gz being read is still being written
            } else if (continues(t, o)) {
                t.seenAs(o);
            } else {
                // truncated or rewritten in place: the old content no longer lives at this inode
                detach(t);
                unmatched.add(o);
            }
        }
        for (final Observed o : unmatched) {
            if (!o.headComplete() || o.head().length == 0) {
                continue;
            }
            final Tracked orphan = orphanWithFingerprintOf(o);
            if (orphan != null) {
                orphan.seenAs(o);
            } else if (!startsLikeLive(o)) {
                final Tracked fresh = new Tracked(o.stream(), FileKey.of(o.inode(), o.head()), o.path(), 0, 0, o.gz());
                fresh.seenAs(o);
                tracked.add(fresh);
            }
        }
        for (final Iterator<Tracked> it = tracked.iterator(); it.hasNext();) {
            final Tracked t = it.next();
            if (t.present) {
                continue;
            }
            if (t.cursor != null) {
                t.rotated = true; // gone: its rest is read through the open handle
            } else if (t.finished || !foundBeside(t, found.keySet())) {
                it.remove();
            }
        }
        probe.endScan();
    }

    private static void detach(final Tracked t) {
        t.closeCursor();
        t.key = t.key.withInode(null);
    }

    /** Without inodes (no unix attribute view and no fileKey) a file being read is known by its path. */
    private Tracked byPath(final Observed o) {
        for (final Tracked t : tracked) {
            if (!t.present && t.key.inode() == null && t.cursor != null && o.path().equals(t.path)) {
                return t;
            }
        }
        return null;
    }

    /** Whether the file at the content's inode still holds that content (neither truncated nor replaced). */
    private static boolean continues(final Tracked t, final Observed o) {
        if (t.gz != o.gz() || !t.key.fingerprintMatches(o.head())) {
            return false;
        }
        if (o.gz()) {
            return true;
        }
        long had = Math.max(t.offset, t.size);
        if (t.cursor != null) {
            had = Math.max(had, t.cursor.readOffset());
        }
        return o.size() >= had;
    }

    /** Content without a file whose fingerprint the file matches; the longest fingerprint wins. */
    private Tracked orphanWithFingerprintOf(final Observed o) {
        Tracked best = null;
        for (final Tracked t : tracked) {
            if (!t.live() && isCopyOf(t, o)
                    && (best == null || t.key.fingerprintLength() > best.key.fingerprintLength())) {
                best = t;
            }
        }
        return best;
    }

    /**
     * A full 1 KiB fingerprint is identity enough even when the copy is shorter than what was read
     * (lines written between logrotate's copy and its truncate are in neither file): the copy has
     * nothing more to give, and reading it from 0 would repeat it. A shorter fingerprint (the file
     * was under 1 KiB) also needs the copy to hold all that was read.
     */
    private static boolean isCopyOf(final Tracked t, final Observed o) {
        return t.key.fingerprintLength() > 0 && t.key.fingerprintMatches(o.head())
                && (o.gz() || o.size() >= t.offset || t.key.fingerprintLength() == FileKey.FINGERPRINT_BYTES);
    }

    /** A copy in progress, or a .gz of content still open: left until that content is done. */
    private boolean startsLikeLive(final Observed o) {
        for (final Tracked t : tracked) {
            if (t.live() && t.head != null && t.head.length > 0) {
                final int n = Math.min(o.head().length, t.head.length);
                if (Arrays.equals(o.head(), 0, n, t.head, 0, n)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Looks for lost content beside its last path (rotated to a name the globs do not match). */
    private boolean foundBeside(final Tracked t, final Set<Path> inGlobs) throws IOException {
        final Path dir = t.path.getParent();
        final String name = t.path.getFileName().toString();
        if (dir == null || !Files.isDirectory(dir)) {
            return false;
        }
        final List<Path> siblings;
        try (Stream<Path> list = Files.list(dir)) {
            siblings = list.filter(p -> p.getFileName().toString().startsWith(name) && !p.equals(t.path)
                    && !inGlobs.contains(p)).sorted().toList();
        } catch (final IOException e) {
            return false;
        }
        for (final Path p : siblings) {
            final Observed o = probe.observe(p, t.stream);
            if (o == null || !o.headComplete() || claimed(p)) {
                continue;
            }
            final boolean sameInode = o.inode() != null && o.inode().equals(t.key.inode());
            if (sameInode ? continues(t, o) : isCopyOf(t, o)) {
                final LineCursor cursor;
                try {
                    cursor = new LineCursor(ContentSource.open(p, o.gz()), t.offset);
                } catch (final NoSuchFileException e) {
                    continue;
                }
                t.seenAs(o);
                t.cursor = cursor;
                t.present = false; // not in the globs: read to its end, then dropped
                t.rotated = true;
                t.lastActive = System.nanoTime();
                return true;
            }
        }
        return false;
    }

    private boolean claimed(final Path p) {
        return tracked.stream().anyMatch(t -> t.live() && p.equals(t.path));
    }

    private void read(final Tracked t, final List<FollowedLine> out, final int maxLines) throws IOException {
        final long now = System.nanoTime();
        if (t.cursor == null) {
            if (!t.present || !t.gz && t.size <= t.offset) {
                return;
            }
            try {
                t.cursor = new LineCursor(ContentSource.open(t.path, t.gz), t.offset);
            } catch (final NoSuchFileException e) {
                return; // gone since the scan; the next scan decides
            }
            t.lastActive = now;
        }
        final LineCursor c = t.cursor;
        try {
            while (true) {
                if (out.size() >= maxLines) {
                    return;
                }
                final LineCursor.Line line = c.next();
                if (line == null) {
                    break;
                }
                emit(t, line, out);
            }
        } catch (final NoSuchFileException e) {
            // a .gz deleted while being reopened
            t.closeCursor();
            return;
        }
        final boolean grew = c.takeBytesRead() > 0;
        if (grew) {
            t.lastActive = now;
        }
        final boolean atFinalEnd = t.gz ? c.source().complete() : t.rotated && !grew;
        if (atFinalEnd) {
            final LineCursor.Line last = c.rest();
            if (last != null) {
                emit(t, last, out);
            }
            if (t.gz || !t.present) {
                t.closeCursor();
                t.finished = true;
            }
        } else if (!t.gz && !grew && !c.hasPartialLine() && now - t.lastActive >= closeInactiveNanos) {
            t.closeCursor();
        }
    }

    private static void emit(final Tracked t, final LineCursor.Line line, final List<FollowedLine> out) {
        t.lines++;
        t.offset = line.endOffset();
        out.add(new FollowedLine(t.stream, t.key, t.path, t.lines, t.offset, line.text()));
    }

    @Override
    public String toString() {
        return "FileFollower" + tracked;
    }
}
