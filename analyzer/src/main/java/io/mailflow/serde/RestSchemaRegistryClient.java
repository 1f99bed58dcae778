package io.mailflow.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/**
 * Client of the Confluent Schema Registry REST API (the subset mailflow needs), also served by
 * Apicurio's {@code /apis/ccompat/v7} and other compatible registries: base URLs may carry a path
 * prefix. Uncached: wrap it in {@link CachingSchemaRegistryClient}. TLS uses the truststore and
 * keystore of the {@code schema.registry.ssl.*} keys when set ({@link RegistryTls}), else the JVM's
 * default SSLContext ({@code javax.net.ssl.*} system properties). Thread-safe.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, "
        + "application/json; qs=0.5";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> baseUrls;
    private final RegistryAuth auth;
    private final HttpClient http;
    private final Duration requestTimeout;
    /** The URL that answered last: requests start there, so a dead first URL costs one failure, not one per request. */
    private final AtomicInteger current = new AtomicInteger();
    private final Retries retries;

    /** Bounded retries with exponential backoff and full jitter, as Confluent's client does. */
    public record Retries(int maxRetries, Duration initialWait, Duration maxWait) {
        public static final Retries DEFAULT = new Retries(3, Duration.ofSeconds(1), Duration.ofSeconds(20));
        public static final Retries NONE = new Retries(0, Duration.ZERO, Duration.ZERO);

        long backoffMillis(final int attempt) {
            final long ceiling = Math.min(maxWait.toMillis(), initialWait.toMillis() << Math.min(attempt, 20));
            return ceiling <= 0 ? 0 : java.util.concurrent.ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
        }
    }

    public RestSchemaRegistryClient(final List<URI> baseUrls, final RegistryAuth auth, final Duration connectTimeout,
                                    final Duration requestTimeout) {
        this(baseUrls, auth, connectTimeout, requestTimeout, Retries.DEFAULT);
    }

    public RestSchemaRegistryClient(final List<URI> baseUrls, final RegistryAuth auth, final Duration connectTimeout,
                                    final Duration requestTimeout, final Retries retries) {
        this(baseUrls, auth, connectTimeout, requestTimeout, retries, null);
    }

    /** @param ssl the TLS context of https:// URLs, or null for the JVM's default ({@code javax.net.ssl.*}) */
    public RestSchemaRegistryClient(final List<URI> baseUrls, final RegistryAuth auth, final Duration connectTimeout,
                                    final Duration requestTimeout, final Retries retries, final javax.net.ssl.SSLContext ssl) {
        this.retries = retries;
        if (baseUrls.isEmpty()) {
            throw new IllegalArgumentException("At least one schema registry URL is needed");
        }
        this.baseUrls = List.copyOf(baseUrls);
        this.auth = auth;
        this.requestTimeout = requestTimeout;
        final HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NORMAL);
        if (ssl != null) {
            http.sslContext(ssl);
        }
        this.http = http.build();
    }

    /** A client for {@code schema.registry.url} (comma-separated) with Confluent's auth and timeout keys. */
    public static RestSchemaRegistryClient fromConfig(final Map<String, ?> configs) {
        final String urls = SerdeConfig.get(configs, SerdeConfig.SCHEMA_REGISTRY_URL);
        if (urls == null || urls.isBlank()) {
            throw new IllegalArgumentException("Missing required configuration \"" + SerdeConfig.SCHEMA_REGISTRY_URL + "\"");
        }
        final List<URI> withUserInfo = new ArrayList<>();
        for (final String url : urls.split(",")) {
            if (!url.isBlank()) {
                withUserInfo.add(URI.create(url.trim()));
            }
        }
        final RegistryAuth auth = RegistryAuth.fromConfig(configs, withUserInfo.get(0));
        final List<URI> bases = withUserInfo.stream().map(RestSchemaRegistryClient::withoutUserInfo).toList();
        return new RestSchemaRegistryClient(bases, auth,
            Duration.ofMillis(SerdeConfig.getLong(configs, SerdeConfig.HTTP_CONNECT_TIMEOUT_MS, 60_000)),
            Duration.ofMillis(SerdeConfig.getLong(configs, SerdeConfig.HTTP_READ_TIMEOUT_MS, 60_000)),
            new Retries((int) SerdeConfig.getLong(configs, SerdeConfig.MAX_RETRIES, Retries.DEFAULT.maxRetries()),
                Duration.ofMillis(SerdeConfig.getLong(configs, SerdeConfig.RETRIES_WAIT_MS, Retries.DEFAULT.initialWait().toMillis())),
                Duration.ofMillis(SerdeConfig.getLong(configs, SerdeConfig.RETRIES_MAX_WAIT_MS, Retries.DEFAULT.maxWait().toMillis()))),
            RegistryTls.fromConfig(configs));
    }

    public List<URI> baseUrls() {
        return baseUrls;
    }

    @Override
    public int register(final String subject, final Schema schema) {
        try {
            return send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema)).path("id").asInt();
        } catch (final SchemaRegistryException e) {
            if (e.status() != 409) {
                throw e;
            }
            // 409 is Confluent's "incompatible", but Apicurio also answers it to two instances
            // registering the same schema at once ("already exists"): then the schema is there, or
            // will be in a moment (the other registration may not be committed yet, and the lookup
            // answers 404 meanwhile), so an "already exists" is looked up again for a few seconds
            final boolean concurrentCreate = String.valueOf(e.getMessage()).contains("already exists");
            final int lookups = concurrentCreate ? CONCURRENT_CREATE_LOOKUPS : 1;
            for (int attempt = 1; ; attempt++) {
                try {
                    return getId(subject, schema);
                } catch (final SchemaRegistryException lookup) {
                    if (attempt >= lookups || lookup.status() != 404) {
                        throw e;
                    }
                    pause(Duration.ofMillis(100L * attempt));
                }
            }
        }
    }

    /** Lookups of a schema another client is registering at the same moment: about 5 s in all. */
    private static final int CONCURRENT_CREATE_LOOKUPS = 10;

    private static void pause(final Duration wait) {
        try {
            Thread.sleep(wait.toMillis());
        } catch (final InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while waiting for a concurrent schema registration", interrupted);
        }
    }

    @Override
    public int getId(final String subject, final Schema schema) {
        return send("POST", "/subjects/" + encode(subject), schemaBody(schema)).path("id").asInt();
    }

    @Override
    public Schema getById(final int id) {
        return parse(send("GET", "/schemas/ids/" + id, null).path("schema").asText());
    }

    @Override
    public RegisteredSchema getLatest(final String subject) {
        final JsonNode node = send("GET", "/subjects/" + encode(subject) + "/versions/latest", null);
        return new RegisteredSchema(node.path("subject").asText(subject), node.path("version").asInt(), node.path("id").asInt(),
            parse(node.path("schema").asText()));
    }

    /** True when the subject has no version yet, as any schema may then be registered. */
    @Override
    public boolean testCompatibility(final String subject, final Schema schema) {
        try {
            return send("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest", schemaBody(schema))
                .path("is_compatible").asBoolean();
        } catch (final SchemaRegistryException e) {
            if (e.status() == 404 && isMissingSubjectOrVersion(e.errorCode())) {
                return true;
            }
            throw e;
        }
    }

    @Override
    public String getCompatibility(final String subject) {
        if (subject == null) {
            return send("GET", "/config", null).path("compatibilityLevel").asText();
        }
        try {
            final JsonNode node = send("GET", "/config/" + encode(subject) + "?defaultToGlobal=true", null);
            final String level = node.path("compatibilityLevel").asText("");
            return level.isEmpty() ? getCompatibility(null) : level;
        } catch (final SchemaRegistryException e) {
            // no subject-level config (Confluent 40408, older servers 40401): the global level applies
            if (e.status() == 404) {
                return getCompatibility(null);
            }
            throw e;
        }
    }

    @Override
    public void setCompatibility(final String subject, final String level) {
        final ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        send("PUT", subject == null ? "/config" : "/config/" + encode(subject), body);
    }

    private static boolean isMissingSubjectOrVersion(final int errorCode) {
        // Confluent: 40401 subject not found, 40402 version not found; Apicurio answers 40402 for a missing subject
        return errorCode == 40401 || errorCode == 40402;
    }

    /** One request, retried while the registry's answer is a fault of the registry (see {@link SchemaRegistryException#isTransient}). */
    private JsonNode send(final String method, final String path, final JsonNode body) {
        for (int attempt = 0; ; attempt++) {
            try {
                return sendOnce(method, path, body);
            } catch (final SchemaRegistryException e) {
                if (!e.isTransient() || attempt >= retries.maxRetries() || Thread.currentThread().isInterrupted()) {
                    if (e.isTransient()) {
                        io.micrometer.core.instrument.Metrics.counter("mailflow.registry.failures", "status", statusTag(e)).increment();
                    }
                    throw e;
                }
                io.micrometer.core.instrument.Metrics.counter("mailflow.registry.retries", "status", statusTag(e)).increment();
                try {
                    Thread.sleep(retries.backoffMillis(attempt));
                } catch (final InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** The HTTP status of a registry fault as a metric tag; "unreachable" when there was no answer. */
    private static String statusTag(final SchemaRegistryException e) {
        return e.status() < 0 ? "unreachable" : Integer.toString(e.status());
    }

    private JsonNode sendOnce(final String method, final String path, final JsonNode body) {
        final int start = current.get();
        IOException lastFailure = null;
        for (int attempt = 0; attempt < baseUrls.size(); attempt++) {
            final int index = (start + attempt) % baseUrls.size();
            final URI uri = resolve(baseUrls.get(index), path);
            final HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Accept", ACCEPT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
            if (body != null) {
                request.header("Content-Type", CONTENT_TYPE);
            }
            auth.header().ifPresent(value -> request.header("Authorization", value));
            final HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (final IOException e) {
                // connection refused, reset or timed out: the next URL may be up
                lastFailure = e;
                continue;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("Interrupted while calling the schema registry at " + uri, e);
            }
            current.set(index);
            return handle(method, uri, response);
        }
        throw new SchemaRegistryException("Cannot reach the schema registry at " + baseUrls + " (" + method + " " + path + ")",
            lastFailure);
    }

    private static JsonNode handle(final String method, final URI uri, final HttpResponse<String> response) {
        final int status = response.statusCode();
        final String text = response.body() == null ? "" : response.body();
        JsonNode node = null;
        try {
            node = text.isEmpty() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (final IOException e) {
            if (status / 100 == 2) {
                throw new SchemaRegistryException(status, status, "Unreadable answer to " + method + " " + uri + ": " + text);
            }
        }
        if (status / 100 == 2) {
            return node;
        }
        final int errorCode = node != null && node.has("error_code") ? node.path("error_code").asInt() : status;
        final String message = node != null && node.hasNonNull("message") ? node.path("message").asText()
            : text.isBlank() ? "HTTP " + status : text;
        throw new SchemaRegistryException(status, errorCode, message + " [" + method + " " + uri + "]");
    }

    private static ObjectNode schemaBody(final Schema schema) {
        // schema.toString() is the string Confluent's AvroSchema registers, so both clients get the same ids
        return JSON.createObjectNode().put("schema", schema.toString());
    }

    private static Schema parse(final String schema) {
        if (schema == null || schema.isEmpty()) {
            throw new SchemaRegistryException(200, 0, "The schema registry answered without a schema");
        }
        return new Schema.Parser().parse(schema);
    }

    private static String encode(final String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static URI resolve(final URI base, final String path) {
        final String prefix = base.toString().endsWith("/") ? base.toString().substring(0, base.toString().length() - 1)
            : base.toString();
        return URI.create(prefix + path);
    }

    private static URI withoutUserInfo(final URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), uri.getQuery(), uri.getFragment());
        } catch (final URISyntaxException e) {
            throw new IllegalArgumentException("Bad schema registry URL " + uri.getScheme() + "://" + uri.getHost(), e);
        }
    }

    @Override
    public String toString() {
        return "RestSchemaRegistryClient" + baseUrls + " auth=" + auth;
    }
}
