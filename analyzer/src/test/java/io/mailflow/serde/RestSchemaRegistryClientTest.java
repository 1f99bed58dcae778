package io.mailflow.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RestSchemaRegistryClientTest {
    private static final Schema V1 = SchemaBuilder.record("Connector").namespace("test").fields()
        .requiredString("name").endRecord();
    private static final Schema V2_WITH_DEFAULT = SchemaBuilder.record("Connector").namespace("test").fields()
        .requiredString("name").name("region").type().stringType().stringDefault("eu").endRecord();
    private static final Schema V2_WITHOUT_DEFAULT = SchemaBuilder.record("Connector").namespace("test").fields()
        .requiredString("name").requiredInt("port").endRecord();

    private FakeRegistryServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = FakeRegistryServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private RestSchemaRegistryClient client(final Map<String, Object> extra) {
        final Map<String, Object> configs = new HashMap<>(extra);
        configs.putIfAbsent(SerdeConfig.SCHEMA_REGISTRY_URL, server.url().toString());
        return RestSchemaRegistryClient.fromConfig(configs);
    }

    @Test
    @DisplayName("register, lookup, get by id and latest speak the Confluent API with its content type")
    void speaksTheConfluentApi() {
        final RestSchemaRegistryClient client = client(Map.of());
        final int id = client.register("mailflow.traces-value", V1);
        assertEquals(id, client.getId("mailflow.traces-value", V1));
        assertEquals(V1, client.getById(id));
        final SchemaRegistryClient.RegisteredSchema latest = client.getLatest("mailflow.traces-value");
        assertEquals(new SchemaRegistryClient.RegisteredSchema("mailflow.traces-value", 1, id, V1), latest);

        final FakeRegistryServer.Request register = server.requests().get(0);
        assertEquals("POST", register.method());
        assertEquals("/subjects/mailflow.traces-value/versions", register.path());
        assertEquals("application/vnd.schemaregistry.v1+json", register.contentType());
        assertEquals("{\"schema\":" + quoted(V1.toString()) + "}", register.body(),
            "the body carries the schema as Avro's compact JSON string, as Confluent's client sends it");
        assertEquals(1, server.count("POST /subjects/{}"));
        assertEquals(1, server.count("GET /schemas/ids/{}"));
        assertEquals(1, server.count("GET /subjects/{}/versions/latest"));
    }

    @Test
    @DisplayName("subjects are URL-encoded in paths")
    void encodesSubjects() {
        client(Map.of()).register("odd subject/with slash", V1);
        assertEquals("/subjects/odd%20subject%2Fwith%20slash/versions", server.requests().get(0).path());
    }

    @Test
    @DisplayName("a base URL with a path prefix (Apicurio's /apis/ccompat/v7) keeps the prefix")
    void keepsPathPrefix() throws IOException {
        try (FakeRegistryServer prefixed = FakeRegistryServer.startWithPrefix("/apis/ccompat/v7")) {
            final RestSchemaRegistryClient client = RestSchemaRegistryClient.fromConfig(
                Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, prefixed.url() + "/"));
            final int id = client.register("t-value", V1);
            assertEquals(V1, client.getById(id));
            assertEquals("/apis/ccompat/v7/subjects/t-value/versions", prefixed.requests().get(0).path());
        }
    }

    @Test
    @DisplayName("compatibility level: global and per subject, read and set")
    void compatibilityConfig() {
        final RestSchemaRegistryClient client = client(Map.of());
        assertEquals("BACKWARD", client.getCompatibility(null));
        client.setCompatibility("t-value", "FULL");
        assertEquals("FULL", client.getCompatibility("t-value"));
        assertEquals("BACKWARD", client.getCompatibility("other-value"));
        client.setCompatibility(null, "NONE");
        assertEquals("NONE", client.getCompatibility(null));
        assertTrue(server.requests().stream().anyMatch(r -> r.method().equals("PUT") && r.path().equals("/config/t-value")
            && r.body().equals("{\"compatibility\":\"FULL\"}")));
    }

    @Test
    @DisplayName("compatibility check: a new field with a default passes BACKWARD, one without fails, a new subject accepts anything")
    void compatibilityCheck() {
        final RestSchemaRegistryClient client = client(Map.of());
        assertTrue(client.testCompatibility("t-value", V2_WITHOUT_DEFAULT), "no version yet");
        client.register("t-value", V1);
        assertTrue(client.testCompatibility("t-value", V2_WITH_DEFAULT));
        assertFalse(client.testCompatibility("t-value", V2_WITHOUT_DEFAULT));
    }

    @Test
    @DisplayName("registry errors surface with HTTP status, error_code and the registry's message")
    void surfacesRegistryErrors() {
        final RestSchemaRegistryClient client = client(Map.of());
        client.register("t-value", V1);
        final SchemaRegistryException incompatible = assertThrows(SchemaRegistryException.class,
            () -> client.register("t-value", V2_WITHOUT_DEFAULT));
        assertEquals(409, incompatible.status());
        assertEquals(409, incompatible.errorCode());
        assertTrue(incompatible.getMessage().contains("incompatible"), incompatible.getMessage());

        final SchemaRegistryException missing = assertThrows(SchemaRegistryException.class, () -> client.getById(4711));
        assertEquals(404, missing.status());
        assertEquals(40403, missing.errorCode());

        final SchemaRegistryException noSubject = assertThrows(SchemaRegistryException.class,
            () -> client.getLatest("nobody-value"));
        assertEquals(40401, noSubject.errorCode());
    }

    @Test
    @DisplayName("an error answer that is not JSON still surfaces its status and text")
    void nonJsonErrors() {
        server.answerNext(503, "<html>Service Unavailable</html>");
        final SchemaRegistryException e = assertThrows(SchemaRegistryException.class,
            () -> client(Map.of(SerdeConfig.MAX_RETRIES, "0")).getById(1));
        assertEquals(503, e.status());
        assertEquals(503, e.errorCode());
        assertTrue(e.getMessage().contains("Service Unavailable"), e.getMessage());
    }

    private RestSchemaRegistryClient retrying(final int maxRetries) {
        return client(Map.of(SerdeConfig.MAX_RETRIES, Integer.toString(maxRetries), SerdeConfig.RETRIES_WAIT_MS, "1",
            SerdeConfig.RETRIES_MAX_WAIT_MS, "5"));
    }

    @Test
    @DisplayName("a registry that answers 500, 503 and 429 is asked again until it answers: a blip costs no record")
    void transientErrorsAreRetried() {
        final RestSchemaRegistryClient client = retrying(3);
        server.answerNext(500, "{\"error_code\":50001,\"message\":\"JdbcSQLTimeoutException\"}");
        server.answerNext(503, "<html>Service Unavailable</html>");
        server.answerNext(429, "{\"error_code\":429,\"message\":\"slow down\"}");
        final int id = client.register("t-value", V1);
        assertEquals(V1, client.getById(id));
        assertEquals(5, server.total(), "three failed answers, the registration, the lookup");
    }

    @Test
    @DisplayName("retries are bounded by max.retries; the last error is the one reported")
    void retriesAreBounded() {
        final RestSchemaRegistryClient client = retrying(2);
        for (int i = 0; i < 3; i++) {
            server.answerNext(500, "{\"error_code\":50001,\"message\":\"down\"}");
        }
        final SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client.register("t-value", V1));
        assertEquals(500, e.status());
        assertTrue(e.isTransient());
        assertEquals(3, server.total(), "the first try and two retries");
    }

    @Test
    @DisplayName("a client error (422 invalid schema, 404) is not retried")
    void clientErrorsAreNotRetried() {
        final RestSchemaRegistryClient client = retrying(3);
        server.answerNext(422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
        final SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client.register("t-value", V1));
        assertEquals(42201, e.errorCode());
        assertEquals(1, server.total());
    }

    @Test
    @DisplayName("409 to a registration of a schema that is already there (two instances at once, Apicurio) gives its id")
    void conflictOnAnExistingSchemaGivesItsId() {
        final RestSchemaRegistryClient client = retrying(0);
        final int id = client.register("t-value", V1);
        server.answerNext(409, "{\"error_code\":409,\"message\":\"Unique index or primary key violation\"}");
        assertEquals(id, client.register("t-value", V1));
    }

    @Test
    @DisplayName("Apicurio's 409 'already exists' while the other instance's registration is not yet visible: looked up again until it is")
    void concurrentRegistrationIsAwaited() {
        final RestSchemaRegistryClient client = retrying(0);
        final int id = client.register("t-value", V1);
        final int before = server.total();
        server.answerNext(409, "{\"error_code\":409,\"message\":\"An artifact with ID 't-value' in group 'null' already exists.\"}");
        server.answerNext(404, "{\"error_code\":40401,\"message\":\"Subject 't-value' not found.\"}");
        server.answerNext(404, "{\"error_code\":40401,\"message\":\"Subject 't-value' not found.\"}");
        assertEquals(id, client.register("t-value", V1));
        assertEquals(before + 4, server.total(), "the registration, two lookups too early, the lookup that found it");
    }

    @Test
    @DisplayName("409 to a schema that is not there is Confluent's 'incompatible' and stays an error")
    void conflictOnANewSchemaIsAnError() {
        final RestSchemaRegistryClient client = retrying(0);
        client.register("t-value", V1);
        server.answerNext(409, "{\"error_code\":409,\"message\":\"Schema being registered is incompatible\"}");
        final SchemaRegistryException e = assertThrows(SchemaRegistryException.class,
            () -> client.register("t-value", V2_WITHOUT_DEFAULT));
        assertEquals(409, e.status());
    }

    @Test
    @DisplayName("with several URLs a refused connection moves on to the next URL")
    void failsOverToNextUrl() throws IOException {
        final String dead = "http://127.0.0.1:" + freePort();
        final RestSchemaRegistryClient client = client(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, dead + "," + server.url()));
        final int id = client.register("t-value", V1);
        assertEquals(V1, client.getById(id));
        assertEquals(2, server.total());
        assertEquals(List.of(URI.create(dead), server.url()), client.baseUrls());
    }

    @Test
    @DisplayName("when no URL answers, the error names every URL tried")
    void noUrlAnswers() throws IOException {
        final String dead = "http://127.0.0.1:" + freePort();
        final RestSchemaRegistryClient client = RestSchemaRegistryClient.fromConfig(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL,
            dead, SerdeConfig.HTTP_CONNECT_TIMEOUT_MS, "2000", SerdeConfig.MAX_RETRIES, "0"));
        final SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client.getById(1));
        assertEquals(-1, e.status());
        assertTrue(e.getMessage().contains(dead), e.getMessage());
    }

    @Test
    @DisplayName("basic auth from basic.auth.user.info with source USER_INFO")
    void basicAuthFromUserInfo() {
        client(Map.of("basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "mailflow:s3cret:x"))
            .register("t-value", V1);
        assertEquals(basic("mailflow:s3cret:x"), server.requests().get(0).authorization());
    }

    @Test
    @DisplayName("basic auth keys may carry the schema.registry. prefix")
    void prefixedKeys() {
        client(Map.of("schema.registry.basic.auth.credentials.source", "USER_INFO",
            "schema.registry.basic.auth.user.info", "u:p")).register("t-value", V1);
        assertEquals(basic("u:p"), server.requests().get(0).authorization());
    }

    @Test
    @DisplayName("basic auth from the URL's user info (the default source), never sent in the URL itself")
    void basicAuthFromUrl() {
        final String url = server.url().toString().replace("http://", "http://reader:p%40ss@");
        final RestSchemaRegistryClient client = client(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, url));
        client.register("t-value", V1);
        assertEquals(basic("reader:p@ss"), server.requests().get(0).authorization());
        assertNull(client.baseUrls().get(0).getUserInfo());
    }

    @Test
    @DisplayName("bearer token with source STATIC_TOKEN")
    void bearerToken() {
        client(Map.of("bearer.auth.credentials.source", "STATIC_TOKEN", "bearer.auth.token", "tok-123"))
            .register("t-value", V1);
        assertEquals("Bearer tok-123", server.requests().get(0).authorization());
    }

    @Test
    @DisplayName("no credentials configured: no Authorization header")
    void noAuth() {
        client(Map.of()).register("t-value", V1);
        assertNull(server.requests().get(0).authorization());
    }

    @Test
    @DisplayName("incomplete auth settings fail at configuration time with the key to fix")
    void incompleteAuth() {
        final IllegalArgumentException basic = assertThrows(IllegalArgumentException.class,
            () -> client(Map.of("basic.auth.credentials.source", "USER_INFO")));
        assertTrue(basic.getMessage().contains("basic.auth.user.info"));
        final IllegalArgumentException bearer = assertThrows(IllegalArgumentException.class,
            () -> client(Map.of("bearer.auth.credentials.source", "STATIC_TOKEN")));
        assertTrue(bearer.getMessage().contains("bearer.auth.token"));
        assertThrows(IllegalArgumentException.class, () -> client(Map.of("bearer.auth.credentials.source", "OAUTHBEARER")));
    }

    @Test
    @DisplayName("SchemaRegistries gives the cached REST client for http URLs and shares it between serdes configured alike")
    void registriesPickRestClient() {
        final Map<String, Object> configs = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, server.url().toString());
        final SchemaRegistryClient first = SchemaRegistries.fromConfig(configs);
        assertTrue(first instanceof CachingSchemaRegistryClient caching
            && caching.delegate() instanceof RestSchemaRegistryClient, first.toString());
        assertTrue(first == SchemaRegistries.fromConfig(new HashMap<>(configs)));
        assertFalse(first == SchemaRegistries.fromConfig(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, server.url().toString(),
            SerdeConfig.BEARER_AUTH_CREDENTIALS_SOURCE, "STATIC_TOKEN", SerdeConfig.BEARER_AUTH_TOKEN, "t")));
        assertThrows(IllegalArgumentException.class, () -> SchemaRegistries.fromConfig(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL,
            "ftp://host")));
    }

    @Test
    @DisplayName("the request timeout applies to a registry that accepts but never answers")
    void requestTimeout() throws IOException {
        try (ServerSocket silent = new ServerSocket(0)) {
            final RestSchemaRegistryClient client = new RestSchemaRegistryClient(
                List.of(URI.create("http://127.0.0.1:" + silent.getLocalPort())), RegistryAuth.none(),
                Duration.ofSeconds(2), Duration.ofMillis(300));
            assertThrows(SchemaRegistryException.class, () -> client.getById(1));
        }
    }

    private static String basic(final String userInfo) {
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    private static String quoted(final String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
