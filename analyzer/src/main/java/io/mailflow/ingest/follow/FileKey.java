package io.mailflow.ingest.follow;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Identity of a file's content: where it lives ({@code inode}: "dev:ino" from the unix attribute
 * view, else the platform's fileKey() as text, else null) and what it starts with (SHA-256 hex of
 * its first {@code fingerprintLength} = min(size, 1024) bytes of (decompressed) content).
 *
 * <p>The inode says "the same file object" while the follower watches it; the fingerprint says
 * "the same content" when the file object changed (a copytruncate copy, a gzip of it) or when the
 * inode may have been reused while the follower was stopped. While a file is shorter than 1024
 * bytes its fingerprint grows with it, so its key changes until it reaches 1024 bytes; a key is
 * recognised again by hashing the first {@code fingerprintLength} bytes of a candidate.
 */
public record FileKey(String inode, String fingerprint, int fingerprintLength) {
    /** How many leading bytes the fingerprint covers at most. */
    public static final int FINGERPRINT_BYTES = 1024;

    public FileKey {
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (fingerprintLength < 0 || fingerprintLength > FINGERPRINT_BYTES) {
            throw new IllegalArgumentException("fingerprintLength " + fingerprintLength);
        }
    }

    /** The key of content starting with {@code head} (at most 1024 bytes, all of them hashed). */
    static FileKey of(final String inode, final byte[] head) {
        return new FileKey(inode, sha256(head, head.length), head.length);
    }

    /** Whether content starting with {@code head} starts like the content this key was made from. */
    boolean fingerprintMatches(final byte[] head) {
        return head.length >= fingerprintLength && fingerprint.equals(sha256(head, fingerprintLength));
    }

    FileKey withInode(final String newInode) {
        return new FileKey(newInode, fingerprint, fingerprintLength);
    }

    private static String sha256(final byte[] bytes, final int length) {
        try {
            final MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(bytes, 0, length);
            return HexFormat.of().formatHex(md.digest());
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return (inode == null ? "?" : inode) + "/" + fingerprint.substring(0, 12) + "/" + fingerprintLength;
    }
}
