package io.mailflow.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Asks another instance of the application for its local answer on some partitions
 * ({@code GET /api/v1/local/{read}?partitions=...}), passing the bearer token on: every instance
 * of one deployment shares it. A peer that does not answer in time fails those partitions, which
 * are then asked elsewhere or again.
 */
final class PeerClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String token;

    PeerClient(final String token) {
        this.token = token;
    }

    CompletableFuture<ObjectNode> read(final HostInfo host, final LocalState.Read read, final Map<String, String> params,
                                       final Set<Integer> partitions, final boolean standby) {
        final StringBuilder uri = new StringBuilder("http://").append(host.host()).append(':').append(host.port())
            .append("/api/v1/local/").append(read.path()).append("?partitions=")
            .append(partitions.stream().map(String::valueOf).collect(Collectors.joining(",")));
        if (standby) {
            uri.append("&standby=true");
        }
        params.forEach((k, v) -> uri.append('&').append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri.toString())).timeout(TIMEOUT).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
            .thenApply(response -> {
                if (response.statusCode() != 200) {
                    throw new IllegalStateException(host + " answered " + response.statusCode() + ": " + response.body());
                }
                try {
                    return (ObjectNode) QueryJson.MAPPER.readTree(response.body());
                } catch (final IOException e) {
                    throw new IllegalStateException(host + " sent unreadable JSON: " + e.getMessage(), e);
                }
            });
    }
}
