package io.mailflow.ingest.follow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One scan's identity work: finds the files the globs match now and matches each to known
 * content (by inode, then by fingerprint), detaches content whose file was truncated, defers
 * copies in progress, adds new content, and looks for lost content beside its last path. The
 * rules and their reasons are in {@link FileFollower}'s class comment; the order of the steps
 * matters (inode claims before fingerprint claims, so a truncated file's old content is free for
 * its copy in the same scan).
 */
final class Reconciler {
    /**
     * Beside a file lie all its older generations, none of them known: a fingerprint of a few
     * bytes (a file caught with half a first line) would match any of them. Below this many bytes
     * only the newest sibling (the one a rotation just made) is matched by fingerprint; any is
     * matched by inode. Siblings are tried newest first.
     */
    static final int MIN_SIBLING_FINGERPRINT = 64;

    private final Globs globs;
    private final Probe probe = new Probe();
    /** The follower's list, in reading order; new content is appended. */
    private final List<Tracked> tracked;

    Reconciler(final Globs globs, final List<Tracked> tracked) {
        this.globs = globs;
        this.tracked = tracked;
    }

    /** Matches this scan's files to {@code tracked}, updating it in place (see {@link FileFollower}). */
    void reconcile() throws IOException {
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
        final List<Tracked> rewritten = new ArrayList<>();
        for (final Tracked t : tracked) {
            t.present = false;
            if (t.cursor != null && !inodes.contains(t.key.inode())
                    && !t.cursor.source().stillHolds(t.key, t.cursor.readOffset())) {
                // gone from the globs, and truncated (or rewritten) under our open handle before that
                // (copytruncate, then renamed or deleted): the content is no longer there, so it becomes
                // an orphan its copy can claim below. Files still in the globs get this check by path.
                final Tracked now = newContentUnderHandle(t);
                if (now != null) {
                    rewritten.add(now);
                    t.cursor = null; // handed over
                }
                detach(t);
            }
        }
        tracked.addAll(rewritten);
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

    /**
     * What was written after the truncation is new content only the handle still reaches (the file
     * was renamed out of the globs or deleted since): it is read from 0 through that handle, as a
     * gone file. Null when nothing was written.
     */
    private static Tracked newContentUnderHandle(final Tracked t) throws IOException {
        final ContentSource source = t.cursor.source();
        final byte[] got = source.head();
        if (got.length == 0) {
            return null;
        }
        final Tracked now = new Tracked(t.stream, FileKey.of(null, got), t.path, 0, 0, false);
        now.head = got;
        now.rotated = true;
        now.cursor = new LineCursor(source, 0);
        now.lastActive = System.nanoTime();
        return now;
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

    private static FileTime modified(final Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (final IOException e) {
            return FileTime.fromMillis(0);
        }
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
                    && !inGlobs.contains(p)).sorted(Comparator.comparing(Reconciler::modified).reversed()).toList();
        } catch (final IOException e) {
            return false;
        }
        for (final Path p : siblings) {
            final Observed o = probe.observe(p, t.stream);
            if (o == null || !o.headComplete() || claimed(p)) {
                continue;
            }
            final boolean sameInode = o.inode() != null && o.inode().equals(t.key.inode());
            final boolean newest = p.equals(siblings.get(0));
            if (sameInode ? continues(t, o)
                    : (newest || t.key.fingerprintLength() >= MIN_SIBLING_FINGERPRINT) && isCopyOf(t, o)) {
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
}
