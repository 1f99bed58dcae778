package io.mailflow.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/**
 * A Confluent-API registry on a loopback port for unit tests of the REST client, backed by a
 * {@link MockSchemaRegistry}: it counts requests by route, keeps every request's headers and
 * can answer the next request with a canned error.
 */
public final class FakeRegistryServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as the server saw it. */
    record Request(String method, String path, String contentType, String authorization, String body) {
    }

    private record CannedAnswer(int status, String body) {
    }

    private final HttpServer server;
    private final String prefix;
    private final String scope = "fake-" + UUID.randomUUID();
    private final MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);
    private final Map<String, AtomicInteger> countsByRoute = new ConcurrentHashMap<>();
    private final Queue<Request> requests = new ConcurrentLinkedQueue<>();
    private final Queue<CannedAnswer> canned = new ConcurrentLinkedQueue<>();

    private FakeRegistryServer(final String prefix) throws IOException {
        this.prefix = prefix;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
    }

    public static FakeRegistryServer start() throws IOException {
        return new FakeRegistryServer("");
    }

    /** A server whose API lives under a path prefix, as Apicurio's /apis/ccompat/v7. */
    static FakeRegistryServer startWithPrefix(final String prefix) throws IOException {
        return new FakeRegistryServer(prefix);
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + prefix);
    }

    MockSchemaRegistry backing() {
        return registry;
    }

    /** Requests seen on a route such as "GET /schemas/ids/{id}". */
    int count(final String route) {
        final AtomicInteger count = countsByRoute.get(route);
        return count == null ? 0 : count.get();
    }

    int total() {
        return requests.size();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The next request is answered with this status and body instead of being served. */
    void answerNext(final int status, final String body) {
        canned.add(new CannedAnswer(status, body));
    }

    private void handle(final HttpExchange exchange) throws IOException {
        try (exchange) {
            final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            final String method = exchange.getRequestMethod();
            final String rawPath = exchange.getRequestURI().getRawPath();
            requests.add(new Request(method, rawPath + (exchange.getRequestURI().getRawQuery() == null ? ""
                : "?" + exchange.getRequestURI().getRawQuery()), exchange.getRequestHeaders().getFirst("Content-Type"),
                exchange.getRequestHeaders().getFirst("Authorization"), body));
            if (!rawPath.startsWith(prefix)) {
                respond(exchange, 404, error(404, "no such path " + rawPath));
                return;
            }
            final String[] parts = rawPath.substring(prefix.length()).split("/");
            final String route = method + " " + route(parts);
            countsByRoute.computeIfAbsent(route, r -> new AtomicInteger()).incrementAndGet();
            final CannedAnswer answer = canned.poll();
            if (answer != null) {
                respond(exchange, answer.status(), answer.body());
                return;
            }
            try {
                respond(exchange, 200, serve(route, parts, body));
            } catch (final SchemaRegistryException e) {
                respond(exchange, e.status(), error(e.errorCode(), e.getMessage()));
            } catch (final RuntimeException e) {
                respond(exchange, 500, error(50001, e.toString()));
            }
        }
    }

    private static String route(final String[] parts) {
        // parts[0] is "" (the path starts with /)
        final StringBuilder route = new StringBuilder();
        for (int i = 1; i < parts.length; i++) {
            final boolean variable = (i == 2 && (parts[1].equals("subjects") || parts[1].equals("config")))
                || (i == 3 && parts[1].equals("schemas")) || (i == 3 && parts[1].equals("compatibility"));
            route.append('/').append(variable ? "{}" : parts[i]);
        }
        return route.toString();
    }

    private String serve(final String route, final String[] parts, final String body) throws IOException {
        final ObjectNode answer = JSON.createObjectNode();
        switch (route) {
            case "POST /subjects/{}/versions" -> answer.put("id", registry.register(subject(parts[2]), schema(body)));
            case "POST /subjects/{}" -> {
                final String subject = subject(parts[2]);
                final Schema schema = schema(body);
                answer.put("subject", subject).put("id", registry.getId(subject, schema)).put("schema", schema.toString());
            }
            case "GET /schemas/ids/{}" -> answer.put("schema", registry.getById(Integer.parseInt(parts[3])).toString());
            case "GET /subjects/{}/versions/latest" -> {
                final SchemaRegistryClient.RegisteredSchema latest = registry.getLatest(subject(parts[2]));
                answer.put("subject", latest.subject()).put("version", latest.version()).put("id", latest.id())
                    .put("schema", latest.schema().toString());
            }
            case "GET /config" -> answer.put("compatibilityLevel", registry.getCompatibility(null));
            case "GET /config/{}" -> answer.put("compatibilityLevel", registry.getCompatibility(subject(parts[2])));
            case "PUT /config" -> {
                registry.setCompatibility(null, JSON.readTree(body).path("compatibility").asText());
                answer.put("compatibility", registry.getCompatibility(null));
            }
            case "PUT /config/{}" -> {
                registry.setCompatibility(subject(parts[2]), JSON.readTree(body).path("compatibility").asText());
                answer.put("compatibility", registry.getCompatibility(subject(parts[2])));
            }
            case "POST /compatibility/subjects/{}/versions/latest" -> {
                registry.getLatest(subject(parts[3]));
                answer.put("is_compatible", registry.testCompatibility(subject(parts[3]), schema(body)));
            }
            default -> throw new SchemaRegistryException(404, 404, "no route " + route);
        }
        return answer.toString();
    }

    private static String subject(final String encoded) {
        return URLDecoder.decode(encoded, StandardCharsets.UTF_8);
    }

    private static Schema schema(final String body) throws IOException {
        final JsonNode request = JSON.readTree(body);
        return new Schema.Parser().parse(request.path("schema").asText());
    }

    private static String error(final int code, final String message) {
        return JSON.createObjectNode().put("error_code", code).put("message", message).toString();
    }

    private static void respond(final HttpExchange exchange, final int status, final String body) throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", RestSchemaRegistryClient.CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        MockSchemaRegistry.dropScope(scope);
    }
}
