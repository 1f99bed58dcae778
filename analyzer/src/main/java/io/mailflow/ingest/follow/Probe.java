package io.mailflow.ingest.follow;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks at files for a scan: attributes, identity and head. Heads are cached per path while the
 * inode, size and modification time stay the same, so a scan of many idle files (30 days of
 * hourly Exchange logs, a week of rotated .gz) costs a stat each, not an open and a decompression.
 */
final class Probe {
    private static final Logger LOG = LoggerFactory.getLogger(Probe.class);

    private Map<Path, Observed> cache = new HashMap<>();
    private final Set<Path> warned = new HashSet<>();
    private Map<Path, Observed> next = new HashMap<>();

    /** The file as it is now, or null when it vanished or is not a regular file. */
    Observed observe(final Path path, final String stream) throws IOException {
        final BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (final NoSuchFileException e) {
            return null;
        } catch (final AccessDeniedException e) {
            return unreadable(path);
        }
        if (!attrs.isRegularFile()) {
            return null;
        }
        final String inode = inode(path, attrs);
        final Observed cached = cache.get(path);
        final Observed seen;
        if (cached != null && cached.headComplete() && Objects.equals(cached.inode(), inode)
                && cached.size() == attrs.size() && cached.modified().equals(attrs.lastModifiedTime())) {
            seen = new Observed(path, stream, inode, attrs.size(), attrs.lastModifiedTime(), cached.gz(),
                    cached.head(), true);
        } else {
            try {
                seen = readHead(path, stream, inode, attrs.size(), attrs.lastModifiedTime());
            } catch (final NoSuchFileException e) {
                return null;
            } catch (final AccessDeniedException e) {
                return unreadable(path);
            }
        }
        next.put(path, seen);
        return seen;
    }

    /** One unreadable file must not stop the others: skipped, and said once per path. */
    private Observed unreadable(final Path path) {
        if (warned.add(path)) {
            LOG.warn("cannot read {} (permission denied): not followed until it can be read", path);
        }
        return null;
    }

    /** Ends a scan: heads of paths not seen in it are dropped. */
    void endScan() {
        cache = next;
        next = new HashMap<>();
    }

    static String inode(final Path path, final BasicFileAttributes attrs) {
        try {
            final Map<String, Object> unix = Files.readAttributes(path, "unix:dev,ino");
            return unix.get("dev") + ":" + unix.get("ino");
        } catch (final UnsupportedOperationException | IllegalArgumentException | IOException e) {
            final Object key = attrs.fileKey();
            return key == null ? null : key.toString();
        }
    }

    private static Observed readHead(final Path path, final String stream, final String inode, final long size,
            final FileTime modified) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(path), 4096)) {
            raw.mark(2);
            final boolean gz = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            if (!gz) {
                final byte[] head = raw.readNBytes((int) Math.min(size, FileKey.FINGERPRINT_BYTES));
                return new Observed(path, stream, inode, size, modified, false, head, true);
            }
            try (InputStream in = new GZIPInputStream(raw)) {
                final byte[] head = in.readNBytes(FileKey.FINGERPRINT_BYTES);
                return new Observed(path, stream, inode, size, modified, true, head, true);
            } catch (final EOFException | ZipException e) {
                // still being written (or broken): its head is not known yet
                return new Observed(path, stream, inode, size, modified, true, new byte[0], false);
            }
        }
    }
}
