package io.mailflow.generate;

/** Stable made-up IP addresses from the documentation ranges (RFC 5737), one per host name. */
final class Addresses {
    private Addresses() {
    }

    static String ipFor(final String host, final String prefix) {
        final int last = 1 + Math.floorMod(host.hashCode(), 250);
        return prefix + last;
    }
}
