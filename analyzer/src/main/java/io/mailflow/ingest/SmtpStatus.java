package io.mailflow.ingest;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SMTP reply code ("450") and RFC 3463 enhanced status code ("4.4.316") found in a response
 * text such as {@code 450 4.4.316 Connection refused [...]}, {@code 451 qq write error (#4.3.0)}
 * or an Exchange DEFER status {@code [{LRT=...};{LED=451 4.4.0 DNS query failed};{FQDN=..};{IP=..}]}.
 */
record SmtpStatus(String reply, String enhanced, String host, String ip) {
    static final SmtpStatus NONE = new SmtpStatus(null, null, null, null);

    private static final Pattern LEADING = Pattern.compile("^\\s*([245]\\d\\d)(?:[ -]+(?:#)?([245]\\.\\d{1,3}\\.\\d{1,3})\\b)?");
    private static final Pattern ENHANCED_ANYWHERE = Pattern.compile("(?<![\\d.])([245]\\.\\d{1,3}\\.\\d{1,3})(?![\\d.])");
    private static final Pattern REPLY_THEN_ENHANCED = Pattern.compile("(?<!\\d)([245]\\d\\d)[ -]([245]\\.\\d{1,3}\\.\\d{1,3})(?![\\d.])");
    private static final Pattern POSTFIX_SAID = Pattern.compile("^host (\\S+?)\\[([^\\]]*)\\] said: ");

    /** Parses a status as logged; understands Exchange's {LED=...} lists and Postfix's "host X said:". */
    static SmtpStatus parse(final String text) {
        if (text == null || text.isBlank()) {
            return NONE;
        }
        String t = text.trim();
        String host = null;
        String ip = null;
        if (t.contains("{FQDN=") || t.contains("{IP=")) {
            host = blankToNull(braceValue(t, "FQDN"));
            ip = blankToNull(braceValue(t, "IP"));
        }
        // A status that starts with its own reply ("550 4.4.7 QUEUE.Expired; ... [{LED=450 ...}]")
        // is the outcome; the {LED=...} inside it is only the last error before it.
        final Matcher leading = LEADING.matcher(t);
        if (!leading.find()) {
            final String led = t.contains("{LED=") ? braceValue(t, "LED") : null;
            if (led != null) {
                t = led;
            }
        }
        final Matcher said = POSTFIX_SAID.matcher(t);
        if (said.find()) {
            host = said.group(1);
            ip = said.group(2);
            t = t.substring(said.end());
        }
        final Matcher m = LEADING.matcher(t);
        if (m.find()) {
            final String enhanced = m.group(2) != null ? m.group(2) : firstEnhanced(t);
            return new SmtpStatus(m.group(1), enhanced, host, ip);
        }
        final Matcher pair = REPLY_THEN_ENHANCED.matcher(t);
        if (pair.find()) {
            return new SmtpStatus(pair.group(1), pair.group(2), host, ip);
        }
        return new SmtpStatus(null, firstEnhanced(t), host, ip);
    }

    private static String firstEnhanced(final String t) {
        final Matcher m = ENHANCED_ANYWHERE.matcher(t);
        return m.find() ? m.group(1) : null;
    }

    /** The value of {KEY=value} inside an Exchange status list; values may contain ';' and '='. */
    static String braceValue(final String t, final String key) {
        final String open = "{" + key + "=";
        final int start = t.indexOf(open);
        if (start < 0) {
            return null;
        }
        final int from = start + open.length();
        int depth = 0;
        for (int i = from; i < t.length(); i++) {
            final char c = t.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                if (depth == 0) {
                    return t.substring(from, i).trim();
                }
                depth--;
            }
        }
        return t.substring(from).trim();
    }

    static String blankToNull(final String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
