package io.mailflow.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The HTTP side of the query API, before any analyzer exists: methods, token, static files, errors. */
@DisplayName("Query server: GET only, bearer token on /api/, static files without traversal, JSON errors")
class QueryServerTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(final int port, final String method, final String path, final String authorization) throws Exception {
        final HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5))
            .method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            r.header("Authorization", authorization);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("anything but GET is 405 with Allow: GET")
    void readOnly() throws Exception {
        try (QueryServer server = QueryServer.start(0, null)) {
            for (final String method : new String[] {"POST", "PUT", "DELETE", "PATCH"}) {
                final HttpResponse<String> r = send(server.port(), method, "/api/v1/connectors", null);
                assertEquals(405, r.statusCode(), method);
                assertEquals("GET", r.headers().firstValue("Allow").orElse(""));
                assertTrue(r.body().startsWith("{\"error\":"), r.body());
            }
        }
    }

    @Test
    @DisplayName("with a token, /api/ needs Authorization: Bearer <token> (401 otherwise); the page itself does not")
    void token() throws Exception {
        try (QueryServer server = QueryServer.start(0, "s3cret")) {
            assertEquals(401, send(server.port(), "GET", "/api/v1/health", null).statusCode());
            assertEquals(401, send(server.port(), "GET", "/api/v1/health", "Bearer wrong").statusCode());
            assertEquals(401, send(server.port(), "GET", "/api/v1/health", "Basic s3cret").statusCode());
            final HttpResponse<String> denied = send(server.port(), "GET", "/api/v1/connectors", null);
            assertTrue(denied.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
            // right token, analyzer not there yet: past the check, 503 with Retry-After
            final HttpResponse<String> starting = send(server.port(), "GET", "/api/v1/connectors", "Bearer s3cret");
            assertEquals(503, starting.statusCode());
            assertTrue(starting.headers().firstValue("Retry-After").isPresent());
            assertEquals("application/json; charset=utf-8", starting.headers().firstValue("Content-Type").orElse(""));
            assertTrue(!denied.body().contains("s3cret") && !starting.body().contains("s3cret"), "the token is never echoed");
        }
    }

    @Test
    @DisplayName("static files: only plain names under web/; traversal and unknown files are 404")
    void staticFiles() throws Exception {
        try (QueryServer server = QueryServer.start(0, null)) {
            for (final String path : new String[] {"/web/../mailflow.properties", "/web/%2e%2e/log4j2.xml", "/web/..%2flog4j2.xml",
                "/web//etc/passwd", "/web/does-not-exist.js", "/nothing"}) {
                assertEquals(404, send(server.port(), "GET", path, null).statusCode(), path);
            }
        }
    }

    @Test
    @DisplayName("query parameters are decoded; a malformed number is a 400 sentence")
    void params() {
        assertEquals("a b", QueryServer.params("x=a%20b&y").get("x"));
        assertEquals("", QueryServer.params("x=a%20b&y").get("y"));
        assertEquals(6, QueryServer.intParam(QueryServer.params(""), "hours", 6));
        final QueryException e = org.junit.jupiter.api.Assertions.assertThrows(QueryException.class,
            () -> QueryServer.intParam(QueryServer.params("hours=six"), "hours", 6));
        assertEquals(400, e.status());
    }
}
