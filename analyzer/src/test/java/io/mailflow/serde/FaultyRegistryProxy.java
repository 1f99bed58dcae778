package io.mailflow.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a real schema registry that injects the faults registries show under
 * load or during a restart, one HTTP request per connection: the connection reset before an
 * answer, a 500, a 409 to a registration that did succeed upstream (what Apicurio answers one of
 * two instances registering the same schema at once), a stall before the answer, and a stall
 * longer than the client's read timeout. Which request gets which fault is drawn from a seeded
 * random sequence; {@link #injected()} counts what was done.
 */
public final class FaultyRegistryProxy implements AutoCloseable {
    public enum Fault { NONE, RESET, ERROR_500, CONFLICT_409_AFTER_REGISTERING, STALL, STALL_PAST_TIMEOUT }

    private final ServerSocket server;
    private final int upstreamPort;
    private final String path;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        final Thread t = new Thread(r, "faulty-registry-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Random random;
    private final Map<Fault, AtomicInteger> injected = new EnumMap<>(Fault.class);
    private volatile double faultRate;
    private final long stallMillis;
    private final long pastTimeoutMillis;

    /**
     * @param upstreamBaseUrl   the registry's Confluent API base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7
     * @param faultRate         share of requests that get a fault (0..1); {@link #setFaultRate} changes it
     * @param pastTimeoutMillis the long stall: longer than the clients' http.read.timeout.ms
     */
    public FaultyRegistryProxy(final String upstreamBaseUrl, final long seed, final double faultRate, final long stallMillis,
                               final long pastTimeoutMillis) throws IOException {
        final java.net.URI upstream = java.net.URI.create(upstreamBaseUrl);
        this.upstreamPort = upstream.getPort();
        this.path = upstream.getPath();
        this.random = new Random(seed);
        this.faultRate = faultRate;
        this.stallMillis = stallMillis;
        this.pastTimeoutMillis = pastTimeoutMillis;
        for (final Fault f : Fault.values()) {
            injected.put(f, new AtomicInteger());
        }
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        workers.submit(this::acceptLoop);
    }

    /** The proxy's base URL, to give clients instead of the registry's. */
    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort() + path;
    }

    public void setFaultRate(final double rate) {
        this.faultRate = rate;
    }

    /** How many requests got each fault (NONE: passed through untouched). */
    public Map<Fault, Integer> injected() {
        final Map<Fault, Integer> out = new EnumMap<>(Fault.class);
        injected.forEach((f, n) -> out.put(f, n.get()));
        return out;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                final Socket client = server.accept();
                workers.submit(() -> serve(client));
            } catch (final IOException e) {
                return; // closed
            }
        }
    }

    /** Faults drawn at random, except that the first faulty requests get every kind once, in order. */
    private synchronized Fault nextFault(final boolean isRegistration) {
        if (random.nextDouble() >= faultRate) {
            return Fault.NONE;
        }
        final Fault[] kinds = {Fault.RESET, Fault.ERROR_500, Fault.CONFLICT_409_AFTER_REGISTERING, Fault.STALL, Fault.STALL_PAST_TIMEOUT};
        Fault f = cycled < kinds.length ? kinds[cycled] : kinds[random.nextInt(kinds.length)];
        if (f == Fault.CONFLICT_409_AFTER_REGISTERING && !isRegistration) {
            // a 409 answers only a registration
            return cycled < kinds.length ? Fault.NONE : Fault.ERROR_500;
        }
        cycled++;
        return f;
    }

    private int cycled;

    private void serve(final Socket client) {
        try (client) {
            final byte[] request = readRequest(client.getInputStream());
            if (request == null) {
                return;
            }
            final String head = new String(request, StandardCharsets.ISO_8859_1);
            final String requestLine = head.substring(0, head.indexOf("\r\n"));
            final boolean registration = requestLine.startsWith("POST ") && requestLine.contains("/versions ");
            final Fault fault = nextFault(registration);
            injected.get(fault).incrementAndGet();
            switch (fault) {
                case RESET -> {
                    client.setSoLinger(true, 0); // RST instead of FIN
                    return;
                }
                case ERROR_500 -> {
                    respond(client.getOutputStream(), "500 Internal Server Error", "{\"error_code\":50001,\"message\":\"injected fault\"}");
                    return;
                }
                case CONFLICT_409_AFTER_REGISTERING -> {
                    forward(request); // the schema is registered, the answer lost in a race
                    respond(client.getOutputStream(), "409 Conflict", "{\"error_code\":409,\"message\":\"already exists (injected)\"}");
                    return;
                }
                case STALL -> Thread.sleep(stallMillis);
                case STALL_PAST_TIMEOUT -> {
                    Thread.sleep(pastTimeoutMillis);
                    return; // the client gave up long ago
                }
                default -> {
                }
            }
            final byte[] response = forward(request);
            final OutputStream out = client.getOutputStream();
            out.write(response);
            out.flush();
        } catch (final IOException | InterruptedException e) {
            // the client went away, or the registry is down: the client sees a broken connection
        }
    }

    /** Request line, headers (Connection: close, no upgrade to HTTP/2) and Content-Length body; null at EOF. */
    private static byte[] readRequest(final InputStream in) throws IOException {
        final ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
        int last4 = 0;
        while (last4 != 0x0D0A0D0A) {
            final int b = in.read();
            if (b < 0) {
                return null;
            }
            headBytes.write(b);
            last4 = (last4 << 8) | b;
        }
        final String head = headBytes.toString(StandardCharsets.ISO_8859_1);
        final StringBuilder rewritten = new StringBuilder();
        int length = 0;
        for (final String line : head.split("\r\n")) {
            final String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
            }
            if (lower.startsWith("connection:") || lower.startsWith("upgrade:") || lower.startsWith("http2-settings:")
                || line.isEmpty()) {
                continue;
            }
            rewritten.append(line).append("\r\n");
        }
        rewritten.append("Connection: close\r\n\r\n");
        final ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
        request.write(in.readNBytes(length));
        return request.toByteArray();
    }

    /** Sends the request to the registry and returns its whole answer, marked Connection: close. */
    private byte[] forward(final byte[] request) throws IOException {
        try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
            upstream.getOutputStream().write(request);
            upstream.getOutputStream().flush();
            final byte[] answer = upstream.getInputStream().readAllBytes();
            final String text = new String(answer, StandardCharsets.ISO_8859_1);
            final int end = text.indexOf("\r\n\r\n");
            if (end < 0) {
                throw new IOException("incomplete answer from the registry");
            }
            final StringBuilder head = new StringBuilder();
            for (final String line : text.substring(0, end).split("\r\n")) {
                if (!line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
                    head.append(line).append("\r\n");
                }
            }
            head.append("Connection: close\r\n\r\n");
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(answer, end + 4, answer.length - end - 4);
            return out.toByteArray();
        }
    }

    private static void respond(final OutputStream out, final String status, final String json) throws IOException {
        final byte[] body = json.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + "\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: " + body.length
            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        workers.shutdownNow();
    }
}
