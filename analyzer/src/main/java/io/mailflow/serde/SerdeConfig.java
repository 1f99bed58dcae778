package io.mailflow.serde;

import java.util.Map;

/**
 * Configuration keys of mailflow's Avro serde and registry client. The names and defaults are
 * Confluent's, so existing producer, consumer and Streams configs carry over unchanged. Every key
 * may also be given with the {@code schema.registry.} prefix, as Confluent's client accepts.
 */
public final class SerdeConfig {
    /** One URL or several, comma-separated (tried in turn on connection failure); {@code mock://scope} for tests. */
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    /** Register the record's schema under the subject on first use (default true). */
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    /** Write with the subject's latest schema instead of the record's own (default false). */
    public static final String USE_LATEST_VERSION = "use.latest.version";
    /** With {@link #USE_LATEST_VERSION}: refuse a latest schema that cannot read the record's data (default true). */
    public static final String LATEST_COMPATIBILITY_STRICT = "latest.compatibility.strict";
    /** Seconds a subject's latest version stays cached; -1 (the default) keeps it until restart. */
    public static final String LATEST_CACHE_TTL_SEC = "latest.cache.ttl.sec";
    /** {@code URL} (default: user info of the registry URL) or {@code USER_INFO} (from {@link #BASIC_AUTH_USER_INFO}). */
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    /** {@code user:password} for HTTP basic authentication. */
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    /** {@code STATIC_TOKEN} to send {@link #BEARER_AUTH_TOKEN} as a bearer token. */
    public static final String BEARER_AUTH_CREDENTIALS_SOURCE = "bearer.auth.credentials.source";
    public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";
    /** Connect timeout of registry requests in milliseconds (default 60000, as Confluent). */
    public static final String HTTP_CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
    /** Confluent's client keys for retrying a registry that is briefly unavailable (defaults 3, 1000 ms, 20000 ms). */
    public static final String MAX_RETRIES = "max.retries";
    public static final String RETRIES_WAIT_MS = "retries.wait.ms";
    public static final String RETRIES_MAX_WAIT_MS = "retries.max.wait.ms";
    /** Timeout of one registry request in milliseconds (default 60000, as Confluent). */
    public static final String HTTP_READ_TIMEOUT_MS = "http.read.timeout.ms";
    public static final String MOCK_SCHEME = "mock://";

    private static final String PREFIX = "schema.registry.";

    private SerdeConfig() {
    }

    /** The value of the key, or of the key with the {@code schema.registry.} prefix; null when neither is set. */
    public static String get(final Map<String, ?> configs, final String key) {
        Object value = configs.get(key);
        if (value == null && !key.startsWith(PREFIX)) {
            value = configs.get(PREFIX + key);
        }
        return value == null ? null : value.toString().trim();
    }

    public static boolean getBoolean(final Map<String, ?> configs, final String key, final boolean defaultValue) {
        final String value = get(configs, key);
        return value == null || value.isEmpty() ? defaultValue : Boolean.parseBoolean(value);
    }

    public static long getLong(final Map<String, ?> configs, final String key, final long defaultValue) {
        final String value = get(configs, key);
        if (value == null || value.isEmpty()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("Configuration \"" + key + "\" must be a number, got \"" + value + "\"", e);
        }
    }
}
