package io.mailflow.serde;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Picks the registry client for a serde configuration: the shared in-memory registry of a
 * {@code mock://scope} URL, or a cached REST client for http(s) URLs. Serdes configured alike
 * share one REST client (and so one cache and one HTTP connection pool) in this JVM.
 */
public final class SchemaRegistries {
    private static final Map<String, SchemaRegistryClient> REST_CLIENTS = new ConcurrentHashMap<>();

    private SchemaRegistries() {
    }

    public static SchemaRegistryClient fromConfig(final Map<String, ?> configs) {
        final String url = SerdeConfig.get(configs, SerdeConfig.SCHEMA_REGISTRY_URL);
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("Missing required configuration \"" + SerdeConfig.SCHEMA_REGISTRY_URL
                + "\": a registry URL such as http://localhost:8081 or mock://scope");
        }
        final String first = url.split(",")[0].trim();
        if (first.startsWith(SerdeConfig.MOCK_SCHEME)) {
            return MockSchemaRegistry.forScope(first.substring(SerdeConfig.MOCK_SCHEME.length()));
        }
        if (first.startsWith("http://") || first.startsWith("https://")) {
            return REST_CLIENTS.computeIfAbsent(sharingKey(configs),
                k -> new CachingSchemaRegistryClient(RestSchemaRegistryClient.fromConfig(configs),
                    CachingSchemaRegistryClient.latestTtl(configs)));
        }
        throw new IllegalArgumentException("Unsupported " + SerdeConfig.SCHEMA_REGISTRY_URL + " \"" + first
            + "\": use http://, https:// or mock://");
    }

    /** Everything that makes two clients behave differently. */
    private static String sharingKey(final Map<String, ?> configs) {
        final StringBuilder key = new StringBuilder();
        for (final String name : new String[] {SerdeConfig.SCHEMA_REGISTRY_URL, SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE,
            SerdeConfig.BASIC_AUTH_USER_INFO, SerdeConfig.BEARER_AUTH_CREDENTIALS_SOURCE, SerdeConfig.BEARER_AUTH_TOKEN,
            SerdeConfig.LATEST_CACHE_TTL_SEC, SerdeConfig.HTTP_CONNECT_TIMEOUT_MS, SerdeConfig.HTTP_READ_TIMEOUT_MS,
            SerdeConfig.MAX_RETRIES, SerdeConfig.RETRIES_WAIT_MS, SerdeConfig.RETRIES_MAX_WAIT_MS}) {
            key.append(name).append('=').append(SerdeConfig.get(configs, name)).append('\n');
        }
        return key.toString();
    }
}
