package io.mailflow.detect;

/**
 * Keys of connector-keyed topics and stores. "connector|code" partitions stats and episodes;
 * window-store keys start with the window start zero-padded to 13 digits so that the stores'
 * byte order is time order and closed windows are a prefix of the store.
 */
final class ConnectorKeys {
    static final String NO_CODE = "none";
    private static final int TIME_DIGITS = 13;

    private ConnectorKeys() {
    }

    static String connectorCode(final String connectorId, final String statusCode) {
        return connectorId + '|' + (statusCode == null || statusCode.isEmpty() ? NO_CODE : statusCode);
    }

    /** "0001764496800000|connector|code": sorts by window start. */
    static String windowKey(final long windowStart, final String connectorCode) {
        final StringBuilder b = new StringBuilder(TIME_DIGITS + 1 + connectorCode.length());
        appendTime(b, windowStart);
        return b.append('|').append(connectorCode).toString();
    }

    /** The smallest key of windows starting at or after {@code windowStart}: every key before it is an earlier window. */
    static String windowPrefix(final long windowStart) {
        final StringBuilder b = new StringBuilder(TIME_DIGITS);
        appendTime(b, windowStart);
        return b.toString();
    }

    static long windowStartOf(final String windowKey) {
        return Long.parseLong(windowKey, 0, TIME_DIGITS, 10);
    }

    private static void appendTime(final StringBuilder b, final long t) {
        final String digits = Long.toString(Math.max(0, t));
        for (int i = digits.length(); i < TIME_DIGITS; i++) {
            b.append('0');
        }
        b.append(digits);
    }
}
