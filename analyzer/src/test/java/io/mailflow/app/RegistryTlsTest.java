package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.mailflow.serde.RegistryTls;
import io.mailflow.serde.RestSchemaRegistryClient;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry client's TLS from the schema.registry.ssl.* keys, against an https:// server with a test CA's certificate. */
class RegistryTlsTest {
    private static final Schema SCHEMA = Schema.create(Schema.Type.STRING);

    @TempDir
    Path dir;

    @Test
    void truststoreFromTheRegistryKeysIsUsedAndTheKafkaKeysAreNot() throws Exception {
        final TestPki pki = TestPki.create(dir, "changeit");
        final Path serverStore = pki.keyStore("registry", "CN=localhost,O=mailflow", "127.0.0.1");
        final HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverContext(serverStore, "changeit")));
        server.createContext("/", exchange -> {
            final byte[] body = "{\"id\":7}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            final String url = "https://127.0.0.1:" + server.getAddress().getPort();
            final Map<String, Object> trusted = Map.of("schema.registry.url", url, "max.retries", "0",
                "schema.registry.ssl.truststore.location", pki.trustStore().toString(),
                "schema.registry.ssl.truststore.password", "changeit");
            assertEquals(7, RestSchemaRegistryClient.fromConfig(trusted).register("s-value", SCHEMA));
            // the Kafka clients' ssl.* keys are not the registry's: the JVM's default trust refuses the test CA
            final Map<String, Object> kafkaKeysOnly = Map.of("schema.registry.url", url, "max.retries", "0",
                "ssl.truststore.location", pki.trustStore().toString(), "ssl.truststore.password", "changeit");
            assertThrows(RuntimeException.class, () -> RestSchemaRegistryClient.fromConfig(kafkaKeysOnly).register("s-value", SCHEMA));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void noKeysNoContextAndAWrongPasswordNamesTheKeyNotThePassword() throws Exception {
        assertNull(RegistryTls.fromConfig(Map.of("ssl.truststore.location", "/nowhere")));
        final TestPki pki = TestPki.create(dir, "changeit");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RegistryTls.fromConfig(Map.of(
            "schema.registry.ssl.truststore.location", pki.trustStore().toString(), "schema.registry.ssl.truststore.password", "wrong-Pw-42")));
        assertTrue(e.getMessage().contains("schema.registry.ssl.truststore.location"), e.getMessage());
        assertTrue(!e.getMessage().contains("wrong-Pw-42"), e.getMessage());
    }

    private static SSLContext serverContext(final Path store, final String password) throws Exception {
        final KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, password.toCharArray());
        }
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password.toCharArray());
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }
}
