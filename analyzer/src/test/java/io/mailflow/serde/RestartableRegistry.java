package io.mailflow.serde;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A dev registry of a test's own, on a fixed port, keeping its schemas in an H2 file under a
 * directory of the test's: it can be stopped and started again with its schemas and ids, as a
 * production registry restarts (the shared {@link DevRegistry} keeps them in memory only).
 */
public final class RestartableRegistry implements AutoCloseable {
    private final Path dataDir;
    private final int port;
    private Process process;

    public RestartableRegistry(final Path dataDir, final int port) {
        this.dataDir = dataDir;
        this.port = port;
    }

    /** The Confluent API base URL. */
    public String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    public void start() throws IOException, InterruptedException {
        final Path jar = DevRegistry.projectDir().resolve(DevRegistry.JAR);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("The dev schema registry is not built: " + jar + " is missing. Build it with deploy/dev-registry/build.sh");
        }
        Files.createDirectories(dataDir);
        process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
            "-Dregistry.rules.global.compatibility=BACKWARD",
            "-DREGISTRY_DATASOURCE_URL=jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("registry_db"),
            "-jar", jar.toString()))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("registry.log").toFile())).start();
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("The registry exited with " + process.exitValue() + "; see " + dataDir.resolve("registry.log"));
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url() + "/subjects")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("The registry did not answer within 120 s; see " + dataDir.resolve("registry.log"));
    }

    /** SIGTERM, as an orchestrator stops it; its schemas stay in the data directory. */
    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            process = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
