package io.mailflow.classify;

import java.util.Locale;

/** Where a connector delivers to, which decides who can fix its failures. */
public enum ConnectorKind {
    /** Your own on-premises (or hybrid) mail servers behind a smart host: you fix it. */
    ON_PREMISES_SMART_HOST,
    /** A partner organization or third-party service: they fix it, you contact them. */
    PARTNER_ORGANIZATION,
    /** Direct delivery to the internet by MX lookup: the recipient domains' servers. */
    INTERNET,
    /** Not in the catalog and not recognisable by name. */
    UNKNOWN;

    /**
     * A best guess from the connector's name for connectors missing from the catalog. Exchange
     * Online's hybrid wizard names its connectors "Outbound to &lt;guid&gt;", which says nothing,
     * so most real names end up UNKNOWN: the catalog is the reliable source.
     */
    public static ConnectorKind inferFrom(final String connectorId) {
        if (connectorId == null) {
            return UNKNOWN;
        }
        final String name = connectorId.toLowerCase(Locale.ROOT);
        if (name.contains("partner")) {
            return PARTNER_ORGANIZATION;
        }
        if (name.contains("on-prem") || name.contains("onprem") || name.contains("on prem") || name.contains("hybrid")
            || name.contains("smarthost") || name.contains("smart host") || name.contains("smart-host")) {
            return ON_PREMISES_SMART_HOST;
        }
        if (name.contains("internet") || name.equals("smtp") || name.equals("default") || name.contains("mx")) {
            return INTERNET;
        }
        return UNKNOWN;
    }
}
