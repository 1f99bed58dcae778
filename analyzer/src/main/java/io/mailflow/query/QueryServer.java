package io.mailflow.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mailflow.config.DetectionConfig;
import io.mailflow.config.MailflowConfig;
import io.mailflow.detect.ActiveAlerts;
import io.mailflow.detect.ConnectorCatalog;
import io.mailflow.emit.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query API's HTTP server (JDK {@code com.sun.net.httpserver}, like the metrics endpoint): read
 * only (GET; anything else 405), JSON in UTF-8, errors as {@code {"error": "..."}}, and, when a
 * token is set, {@code Authorization: Bearer <token>} required on every {@code /api/} request. It
 * binds its port before the analyzer exists, because Kafka Streams must be told the port it
 * advertises ({@code application.server}) when it is created; requests are answered 503 until
 * {@link #serve} hands it the analyzer. {@code /} and {@code /web/...} serve the web page from the
 * classpath folder {@code web/}.
 */
public final class QueryServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueryServer.class);
    /** Safe names of static files: no "..", no backslash, no empty segment. */
    private static final Pattern STATIC_FILE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*");
    private static final Map<String, String> CONTENT_TYPES = Map.of(
        "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "mjs", "text/javascript; charset=utf-8",
        "css", "text/css; charset=utf-8", "json", "application/json; charset=utf-8", "svg", "image/svg+xml",
        "png", "image/png", "ico", "image/x-icon", "txt", "text/plain; charset=utf-8", "map", "application/json; charset=utf-8");
    /** Requests that assemble answers from other instances at once; further ones get 503 (local reads are always served). */
    private static final int CONCURRENT_QUERIES = 16;

    private final HttpServer server;
    private final ExecutorService threads;
    private final byte[] token;
    private final AtomicReference<Backend> backend = new AtomicReference<>();
    private final Semaphore queries = new Semaphore(CONCURRENT_QUERIES);

    /** What the server answers from once the analyzer runs. */
    record Backend(QueryApi api, LocalState local, Supplier<String> state) {
    }

    private QueryServer(final HttpServer server, final ExecutorService threads, final String token) {
        this.server = server;
        this.threads = threads;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    /** Binds {@code port} (0 = any free port) and starts answering, 503 until {@link #serve}. */
    public static QueryServer start(final int port, final String token) throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        // unbounded, so that a peer's local read is never queued behind requests that wait for peers
        final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            final Thread t = new Thread(r, "mailflow-query");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        final QueryServer query = new QueryServer(server, threads, token);
        server.createContext("/", query::handle);
        server.start();
        return query;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    void serve(final Backend answersFrom) {
        backend.set(answersFrom);
    }

    /**
     * Starts answering from {@code streams}, created with {@code application.server} =
     * {@code self}; {@code config} names the topics, the connector catalog and detection's
     * settings. A read asks every partition of its store, as many as Kafka's metadata counts.
     */
    public void serve(final KafkaStreams streams, final MailflowConfig config, final HostInfo self, final Supplier<String> state) {
        final DetectionConfig detection = DetectionConfig.from(config);
        final ConnectorCatalog catalog = ConnectorCatalog.from(config);
        final LocalState local = new LocalState(streams, new ActiveAlerts(detection, catalog));
        final StateRouter router = new StateRouter(streams, self, local,
            new PeerClient(token == null ? null : new String(token, StandardCharsets.UTF_8)));
        final QueryApi api = new QueryApi(router, catalog, detection.maxDestinations(),
            new TopicTail(config.kafkaProperties()), new Topics(config));
        serve(new Backend(api, local, state));
    }

    private void handle(final HttpExchange exchange) throws IOException {
        try (exchange) {
            final String method = exchange.getRequestMethod();
            if (!method.equals("GET")) {
                exchange.getResponseHeaders().set("Allow", "GET");
                json(exchange, 405, QueryJson.error("The query API is read-only: only GET is allowed."));
                return;
            }
            final String path = exchange.getRequestURI().getRawPath();
            if (path.equals("/") || path.equals("/index.html")) {
                file(exchange, "index.html");
            } else if (path.startsWith("/web/")) {
                file(exchange, path.substring("/web/".length()));
            } else if (path.startsWith("/api/")) {
                if (!authorized(exchange)) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"mailflow\"");
                    json(exchange, 401, QueryJson.error("This API needs the header Authorization: Bearer <token> (mailflow.query.token)."));
                    return;
                }
                api(exchange, path);
            } else {
                json(exchange, 404, QueryJson.error("No such page: the API is under /api/v1/, the web page at /."));
            }
        } catch (final RuntimeException e) {
            LOG.warn("Query API request {} failed", exchange.getRequestURI().getRawPath(), e);
        }
    }

    private boolean authorized(final HttpExchange exchange) {
        if (token == null) {
            return true;
        }
        final String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(token, header.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    private void api(final HttpExchange exchange, final String rawPath) throws IOException {
        final List<String> segments = Arrays.stream(rawPath.substring("/api/".length()).split("/", -1))
            .map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8)).toList();
        final Map<String, String> params = params(exchange.getRequestURI().getRawQuery());
        final Backend b = backend.get();
        if (segments.size() < 2 || !segments.get(0).equals("v1")) {
            json(exchange, 404, QueryJson.error("No such endpoint: the API is under /api/v1/ (docs/query-api.md)."));
            return;
        }
        if (b == null) {
            exchange.getResponseHeaders().set("Retry-After", "5");
            json(exchange, 503, QueryJson.error("The analyzer is starting; try again in a few seconds."));
            return;
        }
        final String what = segments.get(1);
        try {
            if (what.equals("health") && segments.size() == 2) {
                json(exchange, 200, QueryJson.object().put("state", b.state().get()));
            } else if (what.equals("local") && segments.size() == 3) {
                local(exchange, b, segments.get(2), params);
            } else {
                if (!queries.tryAcquire()) {
                    throw new QueryException(503, "Too many queries at once; try again in a moment.");
                }
                try {
                    json(exchange, 200, route(b.api(), segments, params));
                } finally {
                    queries.release();
                }
            }
        } catch (final QueryException e) {
            if (e.status() == 503) {
                exchange.getResponseHeaders().set("Retry-After", "2");
            }
            json(exchange, e.status(), QueryJson.error(e.getMessage()));
        } catch (final IllegalArgumentException e) {
            json(exchange, 400, QueryJson.error(e.getMessage()));
        } catch (final RuntimeException e) {
            LOG.warn("Query {} failed", rawPath, e);
            json(exchange, 500, QueryJson.error("The query failed: " + e));
        }
    }

    private static ObjectNode route(final QueryApi api, final List<String> s, final Map<String, String> params) {
        final String what = s.get(1);
        if (what.equals("connectors") && s.size() == 2) {
            return api.connectors();
        }
        if (what.equals("connectors") && s.size() == 4 && !s.get(2).isEmpty() && s.get(3).equals("queue")) {
            return api.queue(s.get(2));
        }
        if (what.equals("connectors") && s.size() == 4 && !s.get(2).isEmpty() && s.get(3).equals("windows")) {
            return api.windows(s.get(2), intParam(params, "hours", QueryApi.DEFAULT_HOURS));
        }
        if (what.equals("alerts") && s.size() == 2) {
            return api.alerts(params.getOrDefault("state", "active"));
        }
        if (what.equals("messages") && s.size() == 3 && !s.get(2).isEmpty()) {
            return api.message(s.get(2));
        }
        if (what.equals("recipients") && s.size() == 3 && !s.get(2).isBlank()) {
            return api.recipient(s.get(2));
        }
        if (what.equals("notices") && s.size() == 2) {
            return api.notices(intParam(params, "limit", 20));
        }
        throw new QueryException(404, "No such endpoint: /api/" + String.join("/", s) + " (docs/query-api.md lists them).");
    }

    /** Another instance asks for this one's state of some partitions (see {@link StateRouter}). */
    private void local(final HttpExchange exchange, final Backend b, final String readName, final Map<String, String> params)
        throws IOException {
        final LocalState.Read read = LocalState.Read.ofPath(readName);
        if (read == null) {
            throw new QueryException(404, "No local read '" + readName + "'.");
        }
        final Set<Integer> partitions = new TreeSet<>();
        for (final String p : params.getOrDefault("partitions", "").split(",")) {
            if (!p.isBlank()) {
                partitions.add(Integer.parseInt(p.trim()));
            }
        }
        final Map<String, String> rest = new HashMap<>(params);
        rest.remove("partitions");
        final boolean standby = "true".equals(rest.remove("standby"));
        json(exchange, 200, b.local().read(read, rest, partitions, standby));
    }

    static int intParam(final Map<String, String> params, final String name, final int fallback) {
        final String v = params.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (final NumberFormatException e) {
            throw new QueryException(400, name + " must be a whole number, not '" + v + "'.");
        }
    }

    static Map<String, String> params(final String rawQuery) {
        final Map<String, String> out = new HashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (final String pair : rawQuery.split("&")) {
            final int eq = pair.indexOf('=');
            final String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            final String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    private static void file(final HttpExchange exchange, final String name) throws IOException {
        if (!STATIC_FILE.matcher(name).matches()) {
            json(exchange, 404, QueryJson.error("No such file."));
            return;
        }
        try (InputStream in = QueryServer.class.getClassLoader().getResourceAsStream("web/" + name)) {
            if (in == null) {
                json(exchange, 404, QueryJson.error("No such file: web/" + name + "."));
                return;
            }
            final String ext = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
            send(exchange, 200, CONTENT_TYPES.getOrDefault(ext, "application/octet-stream"), in.readAllBytes());
        }
    }

    private static void json(final HttpExchange exchange, final int status, final ObjectNode body) throws IOException {
        final byte[] bytes;
        try {
            bytes = QueryJson.MAPPER.writeValueAsBytes(body);
        } catch (final JsonProcessingException e) {
            throw new IOException(e);
        }
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        send(exchange, status, "application/json; charset=utf-8", bytes);
    }

    private static void send(final HttpExchange exchange, final int status, final String type, final byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
