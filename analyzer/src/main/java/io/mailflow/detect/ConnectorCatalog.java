package io.mailflow.detect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.mailflow.config.MailflowConfig.ConfigException;
import io.mailflow.classify.ConnectorInfo;
import io.mailflow.classify.ConnectorKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Who is on the other side of each connector (config key {@code mailflow.connectors.catalog},
 * a YAML or JSON file), so alerts can say whose servers fail and whom to call:
 *
 * <pre>
 * connectors:
 *   - id: Outbound to Contoso
 *     kind: PARTNER_ORGANIZATION      # ON_PREMISES_SMART_HOST | PARTNER_ORGANIZATION | INTERNET
 *     displayName: Contoso
 *     owner: Contoso Ltd
 *     contact: ops@contoso.com
 * </pre>
 *
 * Connectors missing from the catalog still work: their kind is guessed from the name.
 */
public final class ConnectorCatalog {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private final Map<String, ConnectorInfo> byId;

    private ConnectorCatalog(final Map<String, ConnectorInfo> byId) {
        this.byId = Collections.unmodifiableMap(byId);
    }

    /** The catalog named by {@code mailflow.connectors.catalog}, or an empty one. */
    public static ConnectorCatalog from(final io.mailflow.config.MailflowConfig config) {
        final String path = config.get("mailflow.connectors.catalog");
        return path == null || path.isBlank() ? empty() : load(Path.of(path));
    }

    public static ConnectorCatalog empty() {
        return new ConnectorCatalog(Map.of());
    }

    public static ConnectorCatalog of(final ConnectorInfo... connectors) {
        final Map<String, ConnectorInfo> map = new LinkedHashMap<>();
        for (final ConnectorInfo info : connectors) {
            map.put(info.id(), info);
        }
        return new ConnectorCatalog(map);
    }

    /** Reads a catalog file; a wrong file is a configuration error with a message that names the entry. */
    public static ConnectorCatalog load(final Path file) {
        final JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (final IOException e) {
            throw new ConfigException("Cannot read connector catalog " + file + ": " + e.getMessage());
        }
        final JsonNode list = root == null ? null : root.get("connectors");
        if (list == null || !list.isArray()) {
            throw new ConfigException("Connector catalog " + file + " must have a list 'connectors:'");
        }
        final Map<String, ConnectorInfo> map = new LinkedHashMap<>();
        int index = 0;
        for (final JsonNode entry : list) {
            index++;
            final String id = text(entry, "id");
            if (id == null) {
                throw new ConfigException("Connector catalog " + file + ": entry " + index + " has no 'id'");
            }
            final String kindText = text(entry, "kind");
            final ConnectorKind kind;
            try {
                kind = kindText == null ? ConnectorKind.inferFrom(id)
                    : ConnectorKind.valueOf(kindText.trim().toUpperCase(Locale.ROOT).replace('-', '_').replace(' ', '_'));
            } catch (final IllegalArgumentException e) {
                throw new ConfigException("Connector catalog " + file + ": connector '" + id + "' has kind '" + kindText
                    + "'; use ON_PREMISES_SMART_HOST, PARTNER_ORGANIZATION or INTERNET");
            }
            map.put(id, new ConnectorInfo(id, kind, text(entry, "displayName"), text(entry, "owner"), text(entry, "contact")));
        }
        return new ConnectorCatalog(map);
    }

    /** What the catalog says about a connector, or a guess from its name when it is not listed. */
    public ConnectorInfo lookup(final String connectorId) {
        final ConnectorInfo known = byId.get(connectorId);
        return known != null ? known : ConnectorInfo.unknown(connectorId);
    }

    public int size() {
        return byId.size();
    }

    private static String text(final JsonNode entry, final String field) {
        final JsonNode node = entry.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        final String value = node.asText().trim();
        return value.isEmpty() ? null : value;
    }
}
