package io.mailflow.classify;

import io.mailflow.avro.FailureCategory;

/**
 * What a response or recipient-status text says, read in one forward pass with plain index
 * scans (no regular expressions, so no backtracking on hostile input): the SMTP reply and RFC
 * 3463 enhanced code, the mail flow intelligence category its words or codes name, and the
 * destination server and IP.
 *
 * <p>Chained texts ({@code 550 4.4.7 QUEUE.Expired; message expired -> 451 4.4.0 DNS query
 * failed}) are read as <em>verdict first, cause last</em>: an MTA prepends its own verdict to
 * the error it got, so the head link decides the reply and code (and with them whether the
 * failure is transient or permanent), while the category comes from the most specific link:
 * a mail flow intelligence code (4.4.312 ... 4.7.320) in any link wins, last link first; else
 * the words of the last link that has recognisable words (the remote server's own message).
 */
public final class ResponseText {
    private static final String CHAIN = "->";

    private final String smtpReply;
    private final String statusCode;
    private final FailureCategory category;
    private final String destinationHost;
    private final String destinationIp;

    private ResponseText(final String smtpReply, final String statusCode, final FailureCategory category,
                         final String destinationHost, final String destinationIp) {
        this.smtpReply = smtpReply;
        this.statusCode = statusCode;
        this.category = category;
        this.destinationHost = destinationHost;
        this.destinationIp = destinationIp;
    }

    /** Reads everything out of a response text; never throws, and returns an empty reading for null or blank text. */
    public static ResponseText parse(final String text) {
        if (text == null || text.isEmpty()) {
            return new ResponseText(null, null, null, null, null);
        }
        final int headEnd = headEnd(text);
        final int codeAt = findEnhancedCode(text, 0, headEnd);
        final String code = codeAt < 0 ? null : text.substring(codeAt, codeEnd(text, codeAt));
        final String reply = replyBefore(text, 0, codeAt < 0 ? headEnd : codeAt);
        return new ResponseText(reply, code, category(text), destinationHost(text), destinationIp(text));
    }

    /** End of the head link: where the first "->" starts, or the text's length. */
    static int headEnd(final String text) {
        final int arrow = text.indexOf(CHAIN);
        return arrow < 0 ? text.length() : arrow;
    }

    /** Enhanced code of the head link (the verdict), or null. */
    public static String headCode(final String text) {
        final int codeAt = findEnhancedCode(text, 0, headEnd(text));
        return codeAt < 0 ? null : text.substring(codeAt, codeEnd(text, codeAt));
    }

    /** SMTP reply of the head link ("450"), or null. */
    public static String headReply(final String text) {
        final int headEnd = headEnd(text);
        final int codeAt = findEnhancedCode(text, 0, headEnd);
        return replyBefore(text, 0, codeAt < 0 ? headEnd : codeAt);
    }

    /**
     * The category the text names: a mail flow intelligence code in any link (the last one
     * wins), else the words of the last link that has recognisable words; null when neither.
     */
    public static FailureCategory category(final String text) {
        FailureCategory byCode = null;
        FailureCategory byWords = null;
        int start = 0;
        while (true) {
            final int arrow = text.indexOf(CHAIN, start);
            final int end = arrow < 0 ? text.length() : arrow;
            int from = start;
            while (from < end) {
                final int codeAt = findEnhancedCode(text, from, end);
                if (codeAt < 0) {
                    break;
                }
                final int codeEnd = codeEnd(text, codeAt);
                final FailureCategory linkCode = FailureClassifier.categoryOfCode(text, codeAt, codeEnd);
                if (linkCode != null) {
                    byCode = linkCode;
                }
                from = codeEnd;
            }
            if (byCode == null) {
                final FailureCategory linkWords = categoryOfWords(text, start, end);
                if (linkWords != null) {
                    byWords = linkWords;
                }
            }
            if (arrow < 0) {
                break;
            }
            start = arrow + CHAIN.length();
        }
        return byCode != null ? byCode : byWords;
    }

    public String smtpReply() {
        return smtpReply;
    }

    /** Enhanced code of the head link (the verdict), or null. */
    public String statusCode() {
        return statusCode;
    }

    /** Category named by a mail flow intelligence code or by the words of the text, or null when neither names one. */
    public FailureCategory category() {
        return category;
    }

    public String destinationHost() {
        return destinationHost;
    }

    public String destinationIp() {
        return destinationIp;
    }

    /**
     * The meaning of a link's words. Postfix and Exchange Server say the same things in other
     * words than the mail flow intelligence codes; texts with the same meaning map to the same
     * category. Order matters: the more specific phrase is tested first.
     */
    static FailureCategory categoryOfWords(final String s, final int from, final int to) {
        if (contains(s, from, to, "DNS query failed") || contains(s, from, to, "Host or domain name not found")
            || contains(s, from, to, "Name service error") || contains(s, from, to, "SMTPSEND.DNS")) {
            return FailureCategory.DNS_QUERY_FAILED;
        }
        if (contains(s, from, to, "certificate verification failed") || contains(s, from, to, "certificate not trusted")
            || contains(s, from, to, "certificate validation failed") || contains(s, from, to, "certificate has expired")
            || contains(s, from, to, "certificate expired") || contains(s, from, to, "untrusted certificate")
            || contains(s, from, to, "certificate not verified") || contains(s, from, to, "certificate verify failed")) {
            return FailureCategory.CERTIFICATE_VALIDATION_FAILED;
        }
        if (contains(s, from, to, "Connection refused")) {
            return FailureCategory.CONNECTION_REFUSED;
        }
        // "conversation with host[ip] timed out": the server accepted the connection and then
        // stopped answering; that is the hung server of 4.4.318, not the unreachable one of 4.4.315
        if (contains(s, from, to, "conversation with") && contains(s, from, to, "timed out")) {
            return FailureCategory.CONNECTION_CLOSED;
        }
        if (contains(s, from, to, "Connection timed out") || contains(s, from, to, "No route to host")
            || contains(s, from, to, "Network is unreachable")) {
            return FailureCategory.CONNECTION_TIMED_OUT;
        }
        if (contains(s, from, to, "lost connection") || contains(s, from, to, "Connection dropped")
            || contains(s, from, to, "connection reset") || contains(s, from, to, "closed abruptly")
            || contains(s, from, to, "Connection closed")) {
            return FailureCategory.CONNECTION_CLOSED;
        }
        if (contains(s, from, to, "Cannot start TLS") || contains(s, from, to, "TLS is required")
            || contains(s, from, to, "Service not available") || contains(s, from, to, "Cannot connect to remote server")) {
            return FailureCategory.CANNOT_CONNECT;
        }
        return null;
    }

    /** Case-insensitive containment within [from, to) without allocating. */
    static boolean contains(final String s, final int from, final int to, final String needle) {
        final int last = to - needle.length();
        final char first = needle.charAt(0);
        final char firstLower = Character.toLowerCase(first);
        final char firstUpper = Character.toUpperCase(first);
        for (int i = from; i <= last; i++) {
            final char c = s.charAt(i);
            if ((c == firstLower || c == firstUpper) && s.regionMatches(true, i, needle, 0, needle.length())) {
                return true;
            }
        }
        return false;
    }

    /** Index of the first {@code [245].d{1,3}.d{1,3}} token in [from, to) that stands alone (not part of an IP or version), or -1. */
    static int findEnhancedCode(final String s, final int from, final int to) {
        for (int i = from; i < to; i++) {
            final char c = s.charAt(i);
            if ((c == '2' || c == '4' || c == '5') && i + 1 < to && s.charAt(i + 1) == '.'
                && (i == from || !isDigitOrDot(s.charAt(i - 1)))) {
                final int end = codeEnd(s, i);
                if (end > 0 && end <= to && (end == to || !isDigitOrDot(s.charAt(end)) || endsSentence(s, end, to))) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** End of the code at {@code at} ("4.4.316"), or -1 when the digits do not form class.subject.detail. */
    static int codeEnd(final String s, final int at) {
        int i = at + 2;
        final int subjectDigits = digits(s, i);
        if (subjectDigits < 1 || subjectDigits > 3) {
            return -1;
        }
        i += subjectDigits;
        if (i >= s.length() || s.charAt(i) != '.') {
            return -1;
        }
        i++;
        final int detailDigits = digits(s, i);
        if (detailDigits < 1 || detailDigits > 3) {
            return -1;
        }
        return i + detailDigits;
    }

    private static boolean endsSentence(final String s, final int end, final int to) {
        // "... 4.4.7." ends a sentence; "4.4.7.1" is an address or version
        return s.charAt(end) == '.' && (end + 1 >= to || !Character.isDigit(s.charAt(end + 1)));
    }

    private static int digits(final String s, final int from) {
        int i = from;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        return i - from;
    }

    private static boolean isDigitOrDot(final char c) {
        return Character.isDigit(c) || c == '.';
    }

    /** A three-digit reply: the token right before the code ("450 4.4.316"), else the link's first token. */
    private static String replyBefore(final String s, final int linkStart, final int codeAt) {
        int i = codeAt - 1;
        while (i >= linkStart && s.charAt(i) == ' ') {
            i--;
        }
        if (i - 2 >= linkStart && isReply(s, i - 2) && (i - 3 < linkStart || !Character.isLetterOrDigit(s.charAt(i - 3)))) {
            return s.substring(i - 2, i + 1);
        }
        int j = linkStart;
        while (j < codeAt && (s.charAt(j) == ' ' || s.charAt(j) == '\'' || s.charAt(j) == '"' || s.charAt(j) == '(')) {
            j++;
        }
        if (j + 3 <= codeAt && isReply(s, j) && (j + 3 == s.length() || !Character.isLetterOrDigit(s.charAt(j + 3)))) {
            return s.substring(j, j + 3);
        }
        return null;
    }

    private static boolean isReply(final String s, final int at) {
        final char c = s.charAt(at);
        return (c == '2' || c == '3' || c == '4' || c == '5')
            && Character.isDigit(s.charAt(at + 1)) && Character.isDigit(s.charAt(at + 2));
    }

    /** {@code [LastAttemptedServerName=host]} (Exchange Online), else the host of the first {@code host[ip]} (Postfix). */
    public static String destinationHost(final String s) {
        final String named = bracketValue(s, "LastAttemptedServerName=");
        if (named != null) {
            return named;
        }
        final int bracket = hostBracket(s);
        if (bracket < 0) {
            return null;
        }
        int i = bracket;
        while (i > 0 && isHostChar(s.charAt(i - 1))) {
            i--;
        }
        return s.substring(i, bracket);
    }

    /** {@code [LastAttemptedIP=ip:port]}, Exchange's "last endpoint attempted was ip:port", else the ip of {@code host[ip]}. */
    public static String destinationIp(final String s) {
        final String named = bracketValue(s, "LastAttemptedIP=");
        if (named != null) {
            return stripPort(named);
        }
        final String marker = "last endpoint attempted was ";
        final int at = indexOfIgnoreCase(s, marker);
        if (at >= 0) {
            int end = at + marker.length();
            while (end < s.length() && (isHostChar(s.charAt(end)) || s.charAt(end) == ':')) {
                end++;
            }
            String ip = s.substring(at + marker.length(), end);
            while (ip.endsWith(".")) {
                ip = ip.substring(0, ip.length() - 1);
            }
            return ip.isEmpty() ? null : stripPort(ip);
        }
        final int bracket = hostBracket(s);
        if (bracket < 0) {
            return null;
        }
        return s.substring(bracket + 1, s.indexOf(']', bracket));
    }

    /** Drops ":25" from "203.0.113.10:25"; an IPv6 address (more than one colon) stays as it is. */
    public static String stripPort(final String ip) {
        if (ip == null) {
            return null;
        }
        final int colon = ip.indexOf(':');
        if (colon > 0 && ip.indexOf(':', colon + 1) < 0) {
            return ip.substring(0, colon);
        }
        return ip;
    }

    private static String bracketValue(final String s, final String key) {
        final int at = indexOfIgnoreCase(s, key);
        if (at < 0) {
            return null;
        }
        final int from = at + key.length();
        final int end = s.indexOf(']', from);
        final String value = (end < 0 ? s.substring(from) : s.substring(from, end)).trim();
        return value.isEmpty() ? null : value;
    }

    /** Index of '[' in the first {@code host[address]} whose host is non-empty and whose address looks like an IP. */
    private static int hostBracket(final String s) {
        int open = s.indexOf('[');
        int close = -1;
        while (open >= 0) {
            if (close < open) {
                // one search per closing bracket, not per opening one: "a[a[a[..." stays linear
                close = s.indexOf(']', open);
                if (close < 0) {
                    return -1;
                }
            }
            final int nextOpen = s.indexOf('[', open + 1);
            if (nextOpen < 0 || nextOpen > close) {
                // only the last '[' before a ']' encloses a bracket without nested '['
                if (open > 0 && isHostChar(s.charAt(open - 1)) && close > open + 1 && looksLikeIp(s, open + 1, close)) {
                    return open;
                }
            }
            open = nextOpen;
        }
        return -1;
    }

    private static boolean looksLikeIp(final String s, final int from, final int to) {
        boolean separator = false;
        for (int i = from; i < to; i++) {
            final char c = s.charAt(i);
            if (c == '.' || c == ':') {
                separator = true;
            } else if (Character.digit(c, 16) < 0) {
                return false;
            }
        }
        return separator;
    }

    private static boolean isHostChar(final char c) {
        return Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_';
    }

    private static int indexOfIgnoreCase(final String s, final String needle) {
        final int last = s.length() - needle.length();
        final char firstLower = Character.toLowerCase(needle.charAt(0));
        final char firstUpper = Character.toUpperCase(needle.charAt(0));
        for (int i = 0; i <= last; i++) {
            final char c = s.charAt(i);
            if ((c == firstLower || c == firstUpper) && s.regionMatches(true, i, needle, 0, needle.length())) {
                return i;
            }
        }
        return -1;
    }
}
