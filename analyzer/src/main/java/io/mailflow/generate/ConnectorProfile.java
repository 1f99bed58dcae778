package io.mailflow.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One connector of the simulated organisation and how much mail it carries.
 *
 * @param name          connector id as it appears in the logs ({@code partner-contoso})
 * @param ratePerMinute mean number of new messages per minute (a Poisson process)
 * @param destination   smart host the connector delivers to, or {@code null} for the public
 *                      internet (each recipient domain's own MX host)
 * @param local         true for mailbox delivery on the server itself (DELIVER instead of SEND)
 */
public record ConnectorProfile(String name, double ratePerMinute, String destination, boolean local) {

    public static final String LOCAL = "local";
    public static final String INTERNET = "internet";

    public ConnectorProfile {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("A connector needs a name");
        }
        if (!(ratePerMinute >= 0) || Double.isInfinite(ratePerMinute)) {
            throw new IllegalArgumentException("Connector " + name + ": rate must be a non-negative number of messages per minute");
        }
    }

    /** The default mix: outbound internet mail, two partner connectors, inbound mailbox delivery. */
    public static List<ConnectorProfile> defaults() {
        return parseList("internet:60,partner-contoso:20,partner-fabrikam:8,mailbox:120");
    }

    /**
     * Parses {@code name:rate[:host]}, rate in messages per minute. The host defaults by name:
     * {@code partner-contoso} sends to {@code mail.contoso.com}, {@code internet} to each
     * recipient domain's MX host, {@code mailbox} (or host {@code local}) delivers to local
     * mailboxes; any other name to {@code smtp.NAME.example}.
     */
    public static ConnectorProfile parse(final String spec) {
        final String[] parts = spec.trim().split(":");
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("Connector '" + spec + "' is not name:rate[:host] (example: partner-contoso:20)");
        }
        final String name = parts[0].trim();
        final double rate;
        try {
            rate = Double.parseDouble(parts[1].trim());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("Connector '" + spec + "': rate '" + parts[1] + "' is not a number of messages per minute");
        }
        final String host = parts.length == 3 ? parts[2].trim().toLowerCase(Locale.ROOT) : defaultHost(name);
        if (LOCAL.equals(host)) {
            return new ConnectorProfile(name, rate, null, true);
        }
        return new ConnectorProfile(name, rate, INTERNET.equals(host) ? null : host, false);
    }

    public static List<ConnectorProfile> parseList(final String specs) {
        final List<ConnectorProfile> list = new ArrayList<>();
        for (final String spec : specs.split(",")) {
            if (!spec.isBlank()) {
                list.add(parse(spec));
            }
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException("No connectors given");
        }
        return list;
    }

    private static String defaultHost(final String name) {
        final String lower = name.toLowerCase(Locale.ROOT);
        if (lower.equals("mailbox") || lower.startsWith("local") || lower.endsWith("-mailbox")) {
            return LOCAL;
        }
        if (lower.equals(INTERNET) || lower.startsWith("internet")) {
            return INTERNET;
        }
        if (lower.startsWith("partner-") && lower.length() > "partner-".length()) {
            return "mail." + lower.substring("partner-".length()) + ".com";
        }
        return "smtp." + lower + ".example";
    }

    /** The recipient domain for partner and smart-host connectors: the host without its first label. */
    String partnerDomain() {
        if (destination == null) {
            return null;
        }
        final int dot = destination.indexOf('.');
        return dot > 0 && destination.indexOf('.', dot + 1) > 0 ? destination.substring(dot + 1) : destination;
    }
}
