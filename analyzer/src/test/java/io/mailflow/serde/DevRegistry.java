package io.mailflow.serde;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real Confluent-API schema registry for integration tests. With system property
 * {@code mailflow.test.registry.url} set (CI starts one registry for all tests) that URL is used;
 * otherwise the dev registry built by {@code deploy/dev-registry/build.sh} is started once per JVM
 * on a free loopback port and stopped when the JVM ends. A missing jar fails the test with the
 * command that builds it: these tests never skip.
 *
 * <p>The registry is shared and keeps its state, so tests use subjects of their own ({@link #uniqueTopic}).
 */
public final class DevRegistry {
    static final String JAR = "deploy/dev-registry/target/mailflow-dev-registry-2.4.2-runner.jar";
    private static final String API_PATH = "/apis/ccompat/v7";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
    private static String url;

    private DevRegistry() {
    }

    /** The base URL of the Confluent-compatible API, e.g. {@code http://127.0.0.1:40123/apis/ccompat/v7}. */
    public static synchronized String url() {
        if (url == null) {
            final String given = System.getProperty("mailflow.test.registry.url", "").trim();
            url = given.isEmpty() ? start() : given;
        }
        return url;
    }

    /** A topic name no other test uses, so its subjects start empty even on a shared registry. */
    public static String uniqueTopic(final String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime()) + "-" + (int) (Math.random() * 1_000_000);
    }

    private static String start() {
        final Path projectDir = projectDir();
        final Path jar = projectDir.resolve(JAR);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("The dev schema registry is not built: " + jar + " is missing. Build it with "
                + "deploy/dev-registry/build.sh (first build ~3 min and ~230 MB of Maven downloads), or point the tests at a "
                + "running registry with -Dmailflow.test.registry.url=http://host:port/apis/ccompat/v7");
        }
        final int port = freePort();
        final Path log = Path.of(System.getProperty("user.dir"), "target", "dev-registry-" + port + ".log");
        final Process process;
        try {
            Files.createDirectories(log.getParent());
            process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
                "-Dregistry.rules.global.compatibility=BACKWARD",
                "-jar", jar.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (final IOException e) {
            throw new IllegalStateException("Cannot start the dev schema registry " + jar, e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(process), "dev-registry-stop"));
        final String base = "http://127.0.0.1:" + port + API_PATH;
        awaitReady(process, base, log);
        storeGlobalCompatibility(base);
        return base;
    }

    /**
     * The property above is only Apicurio's default rule (enforced on registration); the Confluent
     * API's GET /config reports the rule stored in the registry's database and says NONE while there
     * is none. Storing it makes the dev registry report BACKWARD, as start.sh does and README says.
     */
    private static void storeGlobalCompatibility(final String base) {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/config"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"BACKWARD\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("The dev schema registry refused PUT /config BACKWARD: "
                    + response.statusCode() + " " + response.body());
            }
        } catch (final IOException e) {
            throw new IllegalStateException("Cannot set the dev schema registry's global compatibility", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while configuring the dev schema registry", e);
        }
    }

    private static void awaitReady(final Process process, final String base, final Path log) {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        final long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("The dev schema registry exited with " + process.exitValue() + "; see " + log);
            }
            try {
                final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/subjects"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the dev schema registry", e);
            }
            try {
                Thread.sleep(200);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the dev schema registry", e);
            }
        }
        stop(process);
        throw new IllegalStateException("The dev schema registry did not answer within " + STARTUP_TIMEOUT + "; see " + log);
    }

    private static void stop(final Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (final InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The repository root: {@code mailflow.project.dir} as surefire and failsafe pass it, else found from the working dir. */
    static Path projectDir() {
        final String given = System.getProperty("mailflow.project.dir", "").trim();
        if (!given.isEmpty() && Files.isDirectory(Path.of(given, "deploy"))) {
            return Path.of(given);
        }
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null) {
            if (Files.isDirectory(dir.resolve("deploy")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("Cannot find the mailflow repository root (set -Dmailflow.project.dir)");
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new IllegalStateException("No free port for the dev schema registry", e);
        }
    }
}
