package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The configuration flags every command shares. Precedence: built-in defaults, then the
 * properties file ({@code --config} or {@code MAILFLOW_CONFIG}), then {@code MAILFLOW_*}
 * environment variables, then these flags.
 */
public final class ConfigOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
        description = "Properties file with mailflow.*, Kafka, Streams and serde settings (default: $MAILFLOW_CONFIG).")
    Path configFile;

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT",
        description = "Kafka bootstrap servers (bootstrap.servers; default localhost:9092).")
    String bootstrapServers;

    @Option(names = {"-r", "--schema-registry-url"}, paramLabel = "URL",
        description = "Schema registry URL, or mock://scope for an in-memory one (schema.registry.url; default http://localhost:8081).")
    String schemaRegistryUrl;

    @Option(names = {"-D", "--set"}, paramLabel = "KEY=VALUE",
        description = "Any setting: mailflow.*, Kafka client, Streams or serde property. Repeatable.")
    Map<String, String> settings = new LinkedHashMap<>();

    /**
     * Refuses {@code -b}/{@code -r} (and the same keys given with {@code -D}) for a command that
     * runs its own broker and in-memory registry: silently ignoring them would let a user believe
     * they investigated their cluster.
     */
    void rejectClusterFlags(final picocli.CommandLine commandLine, final String why) {
        final boolean bootstrap = bootstrapServers != null || settings.containsKey("bootstrap.servers");
        final boolean registry = schemaRegistryUrl != null || settings.containsKey("schema.registry.url");
        if (bootstrap || registry) {
            throw new picocli.CommandLine.ParameterException(commandLine,
                (bootstrap ? "-b/--bootstrap-servers" : "-r/--schema-registry-url") + " cannot be used here: " + why);
        }
    }

    /** The cluster given on the command line ({@code -b}, or {@code -D bootstrap.servers=...}), or null. */
    public String bootstrapServers() {
        return bootstrapServers != null ? bootstrapServers : settings.get("bootstrap.servers");
    }

    /** The registry given with {@code -r} (or {@code -D schema.registry.url=...}), or null. */
    public String schemaRegistryUrl() {
        return schemaRegistryUrl != null ? schemaRegistryUrl : settings.get("schema.registry.url");
    }

    /** Resolves the layers against the process environment. */
    public MailflowConfig resolve() {
        return resolve(System.getenv());
    }

    MailflowConfig resolve(final Map<String, String> env) {
        final Path file = configFile != null ? configFile
            : env.get("MAILFLOW_CONFIG") != null ? Path.of(env.get("MAILFLOW_CONFIG")) : null;
        final Map<String, String> flags = new LinkedHashMap<>(settings);
        if (bootstrapServers != null) {
            flags.put("bootstrap.servers", bootstrapServers);
        }
        if (schemaRegistryUrl != null) {
            flags.put("schema.registry.url", schemaRegistryUrl);
        }
        final MailflowConfig config = MailflowConfig.builder().defaults().file(file).env(env).flags(flags).build();
        Settings.requireKnown(config);
        KafkaAccess.remember(config);
        return config;
    }
}
