package io.mailflow.serde;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS of the registry client from Confluent's keys (only with the {@code schema.registry.} prefix:
 * the bare {@code ssl.*} keys are the Kafka clients' and may name another CA):
 * {@code schema.registry.ssl.truststore.location}, {@code .truststore.password},
 * {@code .truststore.type} (default PKCS12) for the registry's CA, and
 * {@code schema.registry.ssl.keystore.location}, {@code .keystore.password}, {@code .keystore.type},
 * {@code .key.password} for a client certificate (mTLS). None set: the JVM's default context.
 */
public final class RegistryTls {
    static final String PREFIX = "schema.registry.ssl.";

    private RegistryTls() {
    }

    /** The context the keys describe, or null when none is set. */
    public static SSLContext fromConfig(final Map<String, ?> configs) {
        final String trustStore = value(configs, "truststore.location");
        final String keyStore = value(configs, "keystore.location");
        if (trustStore == null && keyStore == null) {
            return null;
        }
        try {
            TrustManagerFactory tmf = null;
            if (trustStore != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(trustStore, value(configs, "truststore.type"), value(configs, "truststore.password"), "truststore"));
            }
            KeyManagerFactory kmf = null;
            if (keyStore != null) {
                final String storePassword = value(configs, "keystore.password");
                final String keyPassword = value(configs, "key.password");
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load(keyStore, value(configs, "keystore.type"), storePassword, "keystore"),
                    chars(keyPassword != null ? keyPassword : storePassword));
            }
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return context;
        } catch (final GeneralSecurityException e) {
            throw new IllegalArgumentException("Cannot set up TLS for the schema registry from " + PREFIX + "*: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(final String location, final String type, final String password, final String what)
            throws GeneralSecurityException {
        final KeyStore store = KeyStore.getInstance(type == null ? "PKCS12" : type);
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            store.load(in, chars(password));
        } catch (final IOException e) {
            // a wrong password shows as an IOException too; the message never carries the password
            throw new IllegalArgumentException("Cannot read the schema registry " + what + " " + location + " ("
                + PREFIX + what + ".location): " + e.getMessage(), e);
        }
        return store;
    }

    private static char[] chars(final String password) {
        return password == null ? null : password.toCharArray();
    }

    private static String value(final Map<String, ?> configs, final String key) {
        final Object v = configs.get(PREFIX + key);
        return v == null || v.toString().isBlank() ? null : v.toString().trim();
    }
}
