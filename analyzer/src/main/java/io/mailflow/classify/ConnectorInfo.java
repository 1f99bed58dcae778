package io.mailflow.classify;

/**
 * What the connector catalog knows about one connector: its kind, a name people recognise, who
 * owns the other side and how to reach them. Any field but id and kind may be null.
 */
public record ConnectorInfo(String id, ConnectorKind kind, String displayName, String owner, String contact) {

    public ConnectorInfo {
        kind = kind == null ? ConnectorKind.UNKNOWN : kind;
    }

    /** A connector missing from the catalog: kind guessed from its name, displayed by its id. */
    public static ConnectorInfo unknown(final String id) {
        return new ConnectorInfo(id, ConnectorKind.inferFrom(id), null, null, null);
    }

    /** The name to show people: the display name, else the connector id. */
    public String name() {
        return displayName != null && !displayName.isBlank() ? displayName : id;
    }
}
