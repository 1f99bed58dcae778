package io.mailflow.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mailflow.config.Secrets;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Posts alerts to Alertmanager's API v2 ({@code POST /api/v2/alerts}, a JSON array of
 * postableAlert), to every Alertmanager given, as Prometheus does with an HA pair: each gets every
 * post, and the cluster gossips between them. Credentials (basic auth or a bearer token) go in the
 * Authorization header and nowhere else; addresses are shown without user info.
 */
public final class AlertmanagerClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** How one post to one Alertmanager went. */
    public record Outcome(String alertmanager, boolean ok, String problem) {
    }

    /** Authorization for Alertmanager: none, basic auth or a bearer token. */
    public record Auth(String header) {
        public static Auth none() {
            return new Auth(null);
        }

        public static Auth basic(final String user, final String password) {
            return new Auth("Basic " + Base64.getEncoder().encodeToString(
                (user + ':' + (password == null ? "" : password)).getBytes(StandardCharsets.UTF_8)));
        }

        public static Auth bearer(final String token) {
            return new Auth("Bearer " + token);
        }

        @Override
        public String toString() {
            return header == null ? "none" : header.substring(0, header.indexOf(' ')) + " " + Secrets.MASK;
        }
    }

    private final List<URI> endpoints;
    private final Auth auth;
    private final HttpClient http;

    /** {@code alertmanagers}: base URLs such as {@code http://alertmanager:9093} (a path prefix is kept). */
    public AlertmanagerClient(final List<String> alertmanagers, final Auth auth) {
        if (alertmanagers.isEmpty()) {
            throw new IllegalArgumentException("no Alertmanager URL given");
        }
        final List<URI> uris = new ArrayList<>();
        for (final String base : alertmanagers) {
            final String trimmed = base.trim().replaceAll("/+$", "");
            final URI uri = URI.create(trimmed + "/api/v2/alerts");
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL: " + Secrets.maskUrls(base));
            }
            uris.add(uri);
        }
        this.endpoints = List.copyOf(uris);
        this.auth = auth;
        this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    }

    /** The kind of authorization, without the secret: "none", "Basic [hidden]", "Bearer [hidden]". */
    public String authShown() {
        return auth.toString();
    }

    /** The Alertmanagers posted to, as they may be shown. */
    public List<String> alertmanagers() {
        return endpoints.stream().map(u -> Secrets.maskUrls(u.toString())).toList();
    }

    /** Posts {@code alerts} to every Alertmanager; one outcome each, never an exception. */
    public List<Outcome> post(final List<AlertmanagerAlert> alerts) throws InterruptedException {
        final byte[] body = body(alerts);
        final List<Outcome> outcomes = new ArrayList<>();
        for (final URI endpoint : endpoints) {
            final String shown = Secrets.maskUrls(endpoint.toString());
            final HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (auth.header() != null) {
                request.header("Authorization", auth.header());
            }
            try {
                final HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() / 100 == 2) {
                    outcomes.add(new Outcome(shown, true, null));
                } else {
                    outcomes.add(new Outcome(shown, false, "HTTP " + response.statusCode() + ": " + firstLine(response.body())));
                }
            } catch (final IOException | IllegalArgumentException e) {
                outcomes.add(new Outcome(shown, false, e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + Secrets.maskUrls(e.getMessage()))));
            }
        }
        return outcomes;
    }

    /** The request body: Alertmanager's postableAlerts. */
    static byte[] body(final List<AlertmanagerAlert> alerts) {
        final ArrayNode array = JSON.createArrayNode();
        for (final AlertmanagerAlert a : alerts) {
            final ObjectNode node = array.addObject();
            final ObjectNode labels = node.putObject("labels");
            a.labels().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> labels.put(e.getKey(), e.getValue()));
            final ObjectNode annotations = node.putObject("annotations");
            a.annotations().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> annotations.put(e.getKey(), e.getValue()));
            node.put("startsAt", a.startsAt().toString());
            node.put("endsAt", a.endsAt().toString());
            if (a.generatorUrl() != null) {
                node.put("generatorURL", a.generatorUrl());
            }
        }
        try {
            return JSON.writeValueAsBytes(array);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("cannot render alerts as JSON", e);
        }
    }

    private static String firstLine(final String body) {
        if (body == null) {
            return "";
        }
        final String line = body.strip().lines().findFirst().orElse("");
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
