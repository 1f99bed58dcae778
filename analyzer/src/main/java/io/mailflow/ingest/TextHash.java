package io.mailflow.ingest;

/**
 * A 64-bit hash of a text: FNV-1a over its UTF-16 chars (no copy of the text), then MurmurHash3's
 * finaliser to spread the bits. Two different texts collide with a chance of about 2^-64.
 */
public final class TextHash {
    private TextHash() {
    }

    public static long of(final String text) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < text.length(); i++) {
            h ^= text.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
