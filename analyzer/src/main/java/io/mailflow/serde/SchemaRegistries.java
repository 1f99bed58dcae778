package io.mailflow.serde;

import java.util.Map;

/** Picks the registry client for a serde configuration: {@code mock://scope} or a REST registry. */
public final class SchemaRegistries {
    private SchemaRegistries() {
    }

    public static SchemaRegistryClient fromConfig(final Map<String, ?> configs) {
        final Object url = configs.get(SerdeConfig.SCHEMA_REGISTRY_URL);
        if (url == null || url.toString().isBlank()) {
            throw new IllegalArgumentException("Missing required configuration \"" + SerdeConfig.SCHEMA_REGISTRY_URL
                + "\": a registry URL such as http://localhost:8081 or mock://scope");
        }
        final String first = url.toString().split(",")[0].trim();
        if (first.startsWith(SerdeConfig.MOCK_SCHEME)) {
            return MockSchemaRegistry.forScope(first.substring(SerdeConfig.MOCK_SCHEME.length()));
        }
        throw new IllegalArgumentException("REST schema registry client not implemented yet: " + first);
    }
}
