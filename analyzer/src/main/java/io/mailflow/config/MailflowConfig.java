package io.mailflow.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * mailflow's configuration, layered as users of Kafka tooling expect: built-in defaults, then a
 * properties file, then {@code MAILFLOW_*} environment variables, then command-line flags; the
 * last one wins. Keys that start with {@code mailflow.} are ours; every other key is a Kafka,
 * Streams or serde property and is passed through untouched.
 *
 * <p>Environment mapping: {@code MAILFLOW_KAFKA_BOOTSTRAP_SERVERS} sets {@code bootstrap.servers}
 * (prefix {@code KAFKA_}: any client or Streams property), {@code MAILFLOW_DETECT_QUIET__PERIOD}
 * sets {@code mailflow.detect.quiet-period}: one underscore is a dot, two are a dash.
 */
public final class MailflowConfig {
    public static final String PREFIX = "mailflow.";
    public static final String ENV_PREFIX = "MAILFLOW_";
    public static final String ENV_KAFKA_PREFIX = "MAILFLOW_KAFKA_";
    /**
     * MAILFLOW_ variables that are not settings: CONFIG names the properties file; CDS and JIT are
     * read by the launcher (deploy/bin/mailflow) and reach the JVM's environment with it.
     */
    private static final Set<String> NOT_SETTINGS = Set.of("CONFIG", "CDS", "JIT");
    /** How long a command waits for the cluster to answer before it gives up (see {@link KafkaReachability}). */
    public static final String CONNECT_TIMEOUT = "mailflow.connect-timeout";

    /** Where each value came from, for `mailflow config` style diagnostics and error messages. */
    public enum Source { DEFAULT, FILE, ENV, FLAG }

    private final Map<String, String> values;
    private final Map<String, Source> sources;

    private MailflowConfig(final Map<String, String> values, final Map<String, Source> sources) {
        this.values = Collections.unmodifiableMap(values);
        this.sources = Collections.unmodifiableMap(sources);
    }

    /**
     * The built-in defaults; every key a user can set is listed here with its default. Detection's
     * and queue tracking's rules come from their own config records, which own those values.
     */
    public static Map<String, String> defaults() {
        final Map<String, String> d = new LinkedHashMap<>();
        d.put("bootstrap.servers", "localhost:9092");
        d.put("application.id", "mailflow");
        d.put("schema.registry.url", "http://localhost:8081");
        d.put("processing.guarantee", "exactly_once_v2");
        d.put("commit.interval.ms", "1000");
        d.put("mailflow.topic.traces", "mailflow.traces");
        d.put("mailflow.topic.alerts", "mailflow.alerts");
        d.put("mailflow.topic.ndr", "mailflow.ndr");
        d.put("mailflow.topic.delays", "mailflow.delays");
        d.put("mailflow.topic.connector-stats", "mailflow.connector-stats");
        d.put("mailflow.topic.dead-letters", "mailflow.dead-letters");
        d.put("mailflow.topic.ship-positions", "mailflow.ship-positions");
        d.put("mailflow.topic.raw-lines", "mailflow.raw-lines");
        d.put("mailflow.topic.partitions", "6");
        d.put("mailflow.topic.replication-factor", "-1");
        d.put("mailflow.topic.min-insync-replicas", "-1");
        d.put("mailflow.topic.retention", "P7D");
        d.put("mailflow.raw-lines.syslog-zone", "UTC");
        d.put("mailflow.raw-lines.queue-retention", "P6D");
        d.put("mailflow.metrics.port", "9464");
        d.put("mailflow.query.port", "8080");
        d.put("mailflow.ship.poll-interval", "1s");
        d.put("mailflow.ship.batch-lines", "5000");
        d.put("mailflow.ship.metrics-port", "9465");
        d.put("mailflow.notify.resend-interval", "1m");
        d.put("mailflow.notify.group", "mailflow-notify");
        d.put("mailflow.notify.metrics-port", "9466");
        d.put(CONNECT_TIMEOUT, "15s");
        d.putAll(DetectionConfig.defaultSettings());
        d.putAll(QueueConfig.defaultSettings());
        return d;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String get(final String key) {
        return values.get(key);
    }

    public String get(final String key, final String fallback) {
        return values.getOrDefault(key, fallback);
    }

    public String require(final String key) {
        final String value = values.get(key);
        if (value == null || value.isBlank()) {
            throw new ConfigException("Missing required setting '" + key + "'");
        }
        return value;
    }

    public int getInt(final String key, final int fallback) {
        final String value = values.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (final NumberFormatException e) {
            throw new ConfigException("Setting '" + key + "' must be a whole number, got '" + value + "'" + origin(key));
        }
    }

    public long getLong(final String key, final long fallback) {
        final String value = values.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (final NumberFormatException e) {
            throw new ConfigException("Setting '" + key + "' must be a whole number, got '" + value + "'" + origin(key));
        }
    }

    public boolean getBoolean(final String key, final boolean fallback) {
        final String value = values.get(key);
        if (value == null) {
            return fallback;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new ConfigException("Setting '" + key + "' must be true or false, got '" + value + "'" + origin(key));
        };
    }

    /** A duration as ISO-8601 ({@code PT30M}) or a number with a unit ({@code 30m}, {@code 4h}, {@code 500ms}, {@code 2d}). */
    public Duration getDuration(final String key, final Duration fallback) {
        final String value = values.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Durations.parse(value);
        } catch (final IllegalArgumentException e) {
            throw new ConfigException("Setting '" + key + "': " + e.getMessage() + origin(key));
        }
    }

    /** Every key and value, mailflow's and pass-through ones. */
    public Map<String, String> asMap() {
        return values;
    }

    /** Everything that is not a {@code mailflow.*} key: Kafka clients, Streams and serde settings. */
    public Map<String, Object> kafkaProperties() {
        final Map<String, Object> kafka = new TreeMap<>();
        values.forEach((k, v) -> {
            if (!k.startsWith(PREFIX)) {
                kafka.put(k, v);
            }
        });
        return kafka;
    }

    public Source sourceOf(final String key) {
        return sources.get(key);
    }

    /** This config with one setting changed as if by a flag; every other key keeps its value and source. */
    public MailflowConfig with(final String key, final String value) {
        final Builder b = builder();
        b.values.putAll(values);
        b.sources.putAll(sources);
        return b.override(key, value).build();
    }

    private String origin(final String key) {
        final Source source = sources.get(key);
        return source == null ? "" : " (set by " + source.name().toLowerCase(Locale.ROOT) + ")";
    }

    /** Maps one environment variable name to a config key, or null when it is not ours. */
    public static String keyForEnv(final String name) {
        if (name.startsWith(ENV_KAFKA_PREFIX)) {
            return envToKey(name.substring(ENV_KAFKA_PREFIX.length()));
        }
        if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
            final String rest = name.substring(ENV_PREFIX.length());
            if (NOT_SETTINGS.contains(rest)) {
                return null;
            }
            return PREFIX + envToKey(rest);
        }
        return null;
    }

    private static String envToKey(final String rest) {
        return rest.toLowerCase(Locale.ROOT).replace("__", "\u0000").replace('_', '.').replace('\u0000', '-');
    }

    /** Raised for settings users got wrong; the CLI prints the message and exits with code 2. */
    public static final class ConfigException extends RuntimeException {
        public ConfigException(final String message) {
            super(message);
        }
    }

    /** Applies the layers in order; each later layer overrides the earlier ones. */
    public static final class Builder {
        private final Map<String, String> values = new LinkedHashMap<>();
        private final Map<String, Source> sources = new LinkedHashMap<>();

        public Builder defaults() {
            return layer(MailflowConfig.defaults(), Source.DEFAULT);
        }

        public Builder file(final Path file) {
            if (file == null) {
                return this;
            }
            if (!Files.isReadable(file)) {
                throw new ConfigException("Config file " + file + " does not exist or cannot be read");
            }
            final Properties props = new Properties();
            try (Reader reader = Files.newBufferedReader(file)) {
                props.load(reader);
            } catch (final IOException e) {
                throw new ConfigException("Cannot read config file " + file + ": " + e.getMessage());
            }
            final Map<String, String> map = new LinkedHashMap<>();
            props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k).trim()));
            return layer(map, Source.FILE);
        }

        public Builder env(final Map<String, String> env) {
            final Map<String, String> map = new LinkedHashMap<>();
            env.forEach((name, value) -> {
                final String key = keyForEnv(name);
                if (key != null) {
                    map.put(key, value);
                }
            });
            return layer(map, Source.ENV);
        }

        public Builder flags(final Map<String, String> flags) {
            return layer(flags, Source.FLAG);
        }

        public Builder override(final String key, final String value) {
            values.put(key, value);
            sources.put(key, Source.FLAG);
            return this;
        }

        Builder layer(final Map<String, String> layer, final Source source) {
            layer.forEach((k, v) -> {
                if (v != null) {
                    values.put(k, v);
                    sources.put(k, source);
                }
            });
            return this;
        }

        public MailflowConfig build() {
            return new MailflowConfig(new LinkedHashMap<>(values), new LinkedHashMap<>(sources));
        }
    }
}
