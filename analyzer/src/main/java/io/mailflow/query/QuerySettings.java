package io.mailflow.query;

import io.mailflow.config.MailflowConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigData;
import org.apache.kafka.common.config.provider.FileConfigProvider;

/**
 * The query API's settings: its port ({@code mailflow.query.port}, 0 = any free port), the host
 * other instances reach it at ({@code mailflow.query.advertised-host}, default this machine's
 * name) and the optional bearer token ({@code mailflow.query.token}; {@code ${file:PATH:KEY}}
 * reads it from a properties file, as Kafka's secrets are read). {@link #toString} never shows the token.
 */
public record QuerySettings(int port, String advertisedHost, String token) {
    public static final String PORT = "mailflow.query.port";
    public static final String ADVERTISED_HOST = "mailflow.query.advertised-host";
    public static final String TOKEN = "mailflow.query.token";
    public static final int DEFAULT_PORT = 8080;

    public static QuerySettings from(final MailflowConfig config) {
        final int port = config.getInt(PORT, DEFAULT_PORT);
        if (port < 0 || port > 65535) {
            throw new MailflowConfig.ConfigException(PORT + " must be a port number from 0 to 65535, not " + port);
        }
        final String host = config.get(ADVERTISED_HOST);
        return new QuerySettings(port, host == null || host.isBlank() ? localHostName() : host.trim(), resolveToken(config.get(TOKEN)));
    }

    /** The token, a {@code ${file:PATH:KEY}} reference read; null when unset or blank. */
    static String resolveToken(final String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        final String v = value.trim();
        if (v.startsWith("${file:") && v.endsWith("}")) {
            final String ref = v.substring("${file:".length(), v.length() - 1);
            final int colon = ref.lastIndexOf(':');
            if (colon <= 0) {
                throw new MailflowConfig.ConfigException(TOKEN + ": a file reference is ${file:PATH:KEY}");
            }
            final FileConfigProvider files = new FileConfigProvider();
            try {
                files.configure(Map.of());
                final ConfigData data = files.get(ref.substring(0, colon), Set.of(ref.substring(colon + 1)));
                final String token = data.data().get(ref.substring(colon + 1));
                if (token == null || token.isBlank()) {
                    throw new MailflowConfig.ConfigException(TOKEN + ": " + ref.substring(0, colon) + " has no key " + ref.substring(colon + 1));
                }
                return token.trim();
            } catch (final MailflowConfig.ConfigException e) {
                throw e;
            } catch (final RuntimeException e) {
                throw new MailflowConfig.ConfigException(TOKEN + ": cannot read " + ref.substring(0, colon) + ": " + e.getMessage());
            }
        }
        return v;
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (final UnknownHostException e) {
            return "localhost";
        }
    }

    @Override
    public String toString() {
        return "QuerySettings[port=" + port + ", advertisedHost=" + advertisedHost + ", token=" + (token == null ? "none" : "[hidden]") + "]";
    }
}
