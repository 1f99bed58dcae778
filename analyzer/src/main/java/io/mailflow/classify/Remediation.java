package io.mailflow.classify;

import io.mailflow.avro.FailureCategory;

/**
 * Likely causes and fixes for each mail flow intelligence category, in our own words (after
 * Microsoft's "Mail flow intelligence in EOP"), made specific to the connector: whose servers
 * are on the other side decides who has to act.
 */
public final class Remediation {
    private Remediation() {
    }

    /** A few words for a summary line: "connection refused". */
    public static String describe(final FailureCategory category) {
        if (category == null) {
            return "delivery failures";
        }
        return switch (category) {
            case DNS_QUERY_FAILED -> "DNS lookup of the destination failed";
            case CONNECTION_TIMED_OUT -> "connection timed out";
            case CONNECTION_REFUSED -> "connection refused";
            case CANNOT_CONNECT -> "cannot connect to the remote server";
            case CONNECTION_CLOSED -> "connection closed abruptly";
            case CERTIFICATE_VALIDATION_FAILED -> "certificate validation failed";
            case OTHER_TRANSIENT -> "temporary delivery failures";
            case PERMANENT -> "permanent delivery failures";
        };
    }

    /** Likely causes of the category, independent of the connector. */
    public static String causes(final FailureCategory category) {
        if (category == null) {
            return "Messages on this connector cannot be delivered.";
        }
        return switch (category) {
            case DNS_QUERY_FAILED -> "The destination's DNS name could not be resolved: its DNS hosting may be failing, "
                + "the domain may have lapsed so its MX record is gone, or a recent MX change is still hidden behind cached answers.";
            case CONNECTION_TIMED_OUT -> "Nothing answered at the destination: the receiving server may be down, "
                + "or the connector points at a wrong or outdated address (for example after a change of internet provider).";
            case CONNECTION_REFUSED -> "The destination actively refused the connection on port 25: usually a firewall that does not "
                + "allow the sending service's IP ranges, or a mail server that was switched off on purpose after a migration.";
            case CANNOT_CONNECT -> "The destination answered but would not take mail: it replied \"service not available\" "
                + "straight away, or the connector requires TLS and the server does not offer it.";
            case CONNECTION_CLOSED -> "The connection broke off mid-conversation: an SMTP-inspecting firewall misbehaving, "
                + "a receiving server that hangs, crashes or runs out of resources, or an unstable network path.";
            case CERTIFICATE_VALIDATION_FAILED -> "The destination's TLS certificate was rejected: it may have expired, "
                + "name a different host than the connector expects, or no longer be valid.";
            case OTHER_TRANSIENT -> "The destination keeps deferring delivery with a temporary error; the destination server "
                + "and the error text say where to look.";
            case PERMANENT -> "The destination rejects these recipients permanently; they are returned to the sender.";
        };
    }

    /** What to do about the category on this connector: causes, then the fix, then who to contact. */
    public static String of(final FailureCategory category, final ConnectorInfo connector) {
        final StringBuilder text = new StringBuilder(512);
        text.append(causes(category)).append(' ').append(fix(category, connector.kind()));
        final String who = whoToContact(connector);
        if (who != null) {
            text.append(' ').append(who);
        }
        return text.toString();
    }

    /** The catalog's statement of who owns the other side, e.g. "The error comes from your partner Contoso: contact ops@contoso.com." */
    public static String whoToContact(final ConnectorInfo connector) {
        final String party = connector.owner() != null ? connector.owner() : connector.displayName();
        final String contact = connector.contact();
        return switch (connector.kind()) {
            case PARTNER_ORGANIZATION -> party == null && contact == null ? null
                : "The error comes from your partner" + (party == null ? "" : " " + party)
                + (contact == null ? "." : ": contact " + contact + ".");
            case ON_PREMISES_SMART_HOST -> contact == null && connector.owner() == null ? null
                : "The servers are your own" + (connector.owner() == null ? "" : ", run by " + connector.owner())
                + (contact == null ? "." : ": contact " + contact + ".");
            case INTERNET, UNKNOWN -> contact == null ? null
                : "Contact" + (connector.owner() == null ? "" : " " + connector.owner()) + " at " + contact + ".";
        };
    }

    private static String fix(final FailureCategory category, final ConnectorKind kind) {
        if (kind == ConnectorKind.PARTNER_ORGANIZATION) {
            return switch (category == null ? FailureCategory.OTHER_TRANSIENT : category) {
                case CERTIFICATE_VALIDATION_FAILED -> "Ask the partner to renew or fix their certificate, "
                    + "or check that the connector's certificate name matches theirs.";
                case PERMANENT -> "Check the recipient addresses with the partner.";
                default -> "The partner has to fix this on their side; share the destination server, IP and error text with them.";
            };
        }
        if (kind == ConnectorKind.INTERNET) {
            return switch (category == null ? FailureCategory.OTHER_TRANSIENT : category) {
                case PERMANENT -> "Check the recipient addresses with the senders.";
                default -> "The receiving servers belong to the recipients' organizations; if one domain keeps failing, "
                    + "tell its administrators, and check that your own outbound IPs and DNS are not the cause.";
            };
        }
        return switch (category == null ? FailureCategory.OTHER_TRANSIENT : category) {
            case DNS_QUERY_FAILED -> "Check the smart host name in the connector and the domain's DNS records "
                + "with your DNS hosting provider.";
            case CONNECTION_TIMED_OUT -> "If nothing changed in the connector, check that the receiving server is up and "
                + "reachable, and whether network changes moved its public IP address; otherwise correct the smart host in the connector.";
            case CONNECTION_REFUSED -> "Allow the sending service's IP ranges on TCP port 25 in the firewall in front of the "
                + "receiving servers. If no mailboxes remain on-premises, disable or delete the connector and make the "
                + "accepted domain authoritative so invalid recipients are rejected at once.";
            case CANNOT_CONNECT -> "Check the TLS settings and certificates of the receiving servers against the connector's TLS settings, "
                + "and why the server answers \"service not available\".";
            case CONNECTION_CLOSED -> "Check SMTP inspection rules on the firewall, the health and resources of the receiving "
                + "server, and ask your network team about the path between the two sides.";
            case CERTIFICATE_VALIDATION_FAILED -> "Renew or correct the receiving server's certificate, or fix the certificate "
                + "settings on the connector, so the queued messages can be delivered.";
            case OTHER_TRANSIENT -> "Use the destination server and error text to look into the receiving side, "
                + "or correct the connector if it is misconfigured.";
            case PERMANENT -> "Check the recipient addresses; nothing is retried.";
        };
    }
}
