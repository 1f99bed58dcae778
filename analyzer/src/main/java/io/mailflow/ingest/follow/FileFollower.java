package io.mailflow.ingest.follow;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows log files as mail servers write them, like Filebeat's filestream input: Exchange's
 * hourly MSGTRK*.LOG files, and syslog files that logrotate rotates by rename + create or by
 * copytruncate and then gzips. The caller polls; there are no threads inside, and one thread at a
 * time may use an instance.
 *
 * <h2>Identity</h2>
 * What is followed is a file's <em>content</em>, identified by a {@link FileKey}: the inode
 * (dev:ino) and a fingerprint, the SHA-256 of the first min(size, 1024) bytes of the
 * (decompressed) content. The inode alone is not enough: copytruncate gives the same content a new
 * inode, gzip gives it a new inode and other bytes on disk, and a freed inode is soon reused for
 * an unrelated file. The fingerprint alone is not enough either: it cannot tell a truncated and
 * rewritten file whose head is unchanged, and it is weak while a file is short. So each poll
 * rescans the globs ({@link Reconciler}) and matches every file found:
 * <ol>
 * <li>by inode: the same inode whose head still matches the fingerprint and which did not shrink
 *     below what was read is the same content (a rename only updates its path). Same inode but
 *     another head, or shrunk: the file was truncated (in place, or by copytruncate); the old
 *     content loses its inode and the file is new content, read from 0. A file that left the
 *     globs is checked the same way through the open handle;</li>
 * <li>by fingerprint, for content that has no file any more (truncated, deleted, or restored from
 *     positions and not found at its inode): a file whose first bytes hash to the fingerprint is
 *     its copy or its .gz, and reading continues there at the saved offset (in the decompressed
 *     bytes for a .gz). Below 1 KiB of fingerprint the file must also hold all that was read;</li>
 * <li>a file whose head equals the head of content still being read (a copy in progress, the .gz
 *     gzip writes while the original is still open) is left alone until that content is done;
 *     then step 2 makes it the same content and nothing is read twice. An empty file, or a .gz
 *     whose head cannot be decompressed yet, is left alone until it has bytes;</li>
 * <li>anything else is new content, read from offset 0. New files found in one scan are read in
 *     the order of their modification time, then name; known content always comes first.</li>
 * </ol>
 * Content no glob finds any more is looked for once beside its last path (same directory, name
 * starting with the last file name: mail.log → mail.log.1, mail.log-20261202.gz) by inode or
 * fingerprint (newest sibling first; older ones only with a fingerprint of 64 bytes or more, as a
 * few bytes would match any older generation), so a rotation to a name outside the globs while
 * the follower was stopped still loses nothing. When a file that left the globs turns out to have
 * been truncated and written again under the open handle, the old content is left for its copy
 * and the new content is read from 0 through the handle. Content found nowhere is forgotten, which bounds the positions: they hold the
 * files that exist, plus for one more poll those just read to their end.
 *
 * <h2>Reading</h2>
 * A plain file is read through an open FileChannel, so after a rename or delete its rest is still
 * read through that handle. Complete lines only: the unterminated last line of a file waits for
 * its LF, or is returned as the file's last line once the file is final: a .gz read to its end,
 * or a file renamed / deleted / copied away at whose end a whole poll found no new bytes (the
 * writer may still append to a renamed file until logrotate's postrotate signal). Until then,
 * newer files of its stream wait, so the rest of a rotated file comes before the new file. A
 * gone file is closed after that; a renamed one still in the globs is followed on. Handles of
 * files idle at their end for {@code closeInactive} are closed and reopened when the file grows,
 * so a month of hourly Exchange logs does not hold 720 descriptors. {@link LineCursor} cuts lines
 * (LF or CRLF, UTF-8 BOM dropped, malformed UTF-8 replaced).
 *
 * <h2>Positions</h2>
 * {@link #positions()} is exact after every poll: offsets and line counts move only with lines
 * returned, so a follower restored from them continues after the last line returned, whatever of
 * the cases above happened in between. A first start ({@link FollowPositions#empty()}) reads
 * every matching file from its start; {@link #endOfExistingFiles} gives positions at their ends
 * instead. Positions of a stream no longer configured are dropped. A file's {@link FileKey} grows
 * with the file until its first 1024 bytes are written, then stays.
 *
 * <h2>Knowingly not handled</h2>
 * <ul>
 * <li>Rotated twice while stopped. With rename + create, the saved file is found (by the globs or
 *     beside its last path) and its rest read; the generation born while stopped is read as new
 *     content when the globs match its rotated name, and is lost when they do not. With
 *     copytruncate twice, the first copy is found by fingerprint, the second is new content (or
 *     lost if outside the globs). Anything deleted while stopped (rotate count reached) is lost.
 *     All of these are exact when the follower runs and polls between rotations.</li>
 * <li>Content replaced in place (truncated and rewritten) whose first bytes equal the old ones
 *     and which is already longer than what was read: taken as the same content (Filebeat has the
 *     same blind spot). A first line with a timestamp makes this practically impossible.</li>
 * <li>Two files with identical first bytes that both stay (a copy kept next to its original) are
 *     read once, as one content; a new file starting exactly like a file still being read waits
 *     until the two differ.</li>
 * <li>Lines written between logrotate's copy and its truncate are in no file after the truncate;
 *     they are returned only if a poll fell into that window. A copy of a file under 1 KiB made
 *     in that window is read again from its start.</li>
 * <li>Lines appended to an idle file whose handle was closed, and deleted before the next poll,
 *     are lost. A .gz that stays truncated (gzip killed) waits forever.</li>
 * <li>Every restart decompresses each known .gz once to find that nothing is left in it.</li>
 * <li>UTF-16 logs (Exchange Online downloads) and lone-CR line ends: not handled; on-premises
 *     tracking logs and syslog are UTF-8 with LF or CRLF.</li>
 * </ul>
 */
public final class FileFollower implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(FileFollower.class);

    /** Idle handles are closed after this; Filebeat's close.on_state_change.inactive default. */
    public static final Duration DEFAULT_CLOSE_INACTIVE = Duration.ofMinutes(5);

    private final Reconciler reconciler;
    private final List<String> streams;
    /** Known content, in reading order: older first. */
    private final List<Tracked> tracked = new ArrayList<>();
    private final long closeInactiveNanos;
    private int polls;
    private boolean closed;

    public FileFollower(final List<FollowSpec> specs, final FollowPositions start) {
        this(specs, start, DEFAULT_CLOSE_INACTIVE);
    }

    /**
     * A follower that goes on from {@code start} after reading every known file again from its
     * start: the lines up to each file's position come back first, marked {@link FollowedLine#context()},
     * so a caller can rebuild what it derived from them (a parser's header, a queue context) without
     * sending them again. {@link #positions()} never falls behind {@code start} meanwhile.
     */
    public static FileFollower resumeWithContext(final List<FollowSpec> specs, final FollowPositions start) {
        final FileFollower follower = new FileFollower(specs, start);
        follower.tracked.replaceAll(Tracked::rewound);
        return follower;
    }

    public FileFollower(final List<FollowSpec> specs, final FollowPositions start, final Duration closeInactive) {
        this.reconciler = new Reconciler(new Globs(specs), tracked);
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
     * starve another. Returns an empty list when nothing is new. A read error on one file is
     * logged and that file retried on the next poll; an IOException thrown means the scan failed
     * before anything was read: positions are unchanged and poll may be called again.
     */
    public List<FollowedLine> poll(final int maxLines) throws IOException {
        if (closed) {
            throw new IllegalStateException("follower closed");
        }
        if (maxLines < 1) {
            throw new IllegalArgumentException("maxLines " + maxLines);
        }
        reconciler.reconcile();
        final List<FollowedLine> out = new ArrayList<>();
        for (int s = 0; s < streams.size() && out.size() < maxLines; s++) {
            final String stream = streams.get((polls + s) % streams.size());
            for (final Tracked t : tracked) {
                if (out.size() >= maxLines) {
                    break;
                }
                if (t.stream.equals(stream) && !t.finished) {
                    readSafely(t, out, maxLines);
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

    /**
     * A read error on one file must neither lose the lines already taken from it in this poll
     * (its offset has moved past them) nor stop the other files: the lines are returned, the
     * handle is closed, and the next poll reopens it at its offset.
     */
    private void readSafely(final Tracked t, final List<FollowedLine> out, final int maxLines) {
        try {
            read(t, out, maxLines);
        } catch (final IOException e) {
            LOG.warn("reading {} at offset {} failed, retried on the next poll: {}", t.path, t.offset, e.toString());
            t.closeCursor();
        }
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
        boolean full = false;
        try {
            while (true) {
                if (out.size() >= maxLines) {
                    full = true;
                    break;
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
        if (!t.gz && t.offset > t.key.fingerprintLength() && t.key.fingerprintLength() < FileKey.FINGERPRINT_BYTES) {
            growFingerprint(t);
        }
        if (full) {
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

    /**
     * Keeps the fingerprint covering at least what was read (up to 1 KiB), also for a file only
     * the handle still reaches, which no scan looks at: a fingerprint of a few bytes would let a
     * reused inode, or any file starting alike, pass for this content after a restart.
     */
    private static void growFingerprint(final Tracked t) throws IOException {
        final byte[] head = t.cursor.source().head();
        if (head.length > t.key.fingerprintLength() && t.key.fingerprintMatches(head)) {
            t.key = FileKey.of(t.key.inode(), head);
            t.head = head;
        }
    }

    private static void emit(final Tracked t, final LineCursor.Line line, final List<FollowedLine> out) {
        t.lines++;
        t.offset = line.endOffset();
        out.add(new FollowedLine(t.stream, t.key, t.path, t.lines, t.offset, line.text(), t.offset <= t.resumeOffset));
    }

    @Override
    public String toString() {
        return "FileFollower" + tracked;
    }
}
