package io.mailflow.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mailflow.app.EmbeddedKafka;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image `mvn verify` builds (analyzer/target/jib-image.tar, an OCI image layout:
 * Jib on scratch plus deploy/image/assemble-runtime.sh's base, docs/deploy.md "Image"): its
 * configuration, its files, the jar it carries, and, where this runs as root, the image's own
 * runtime started in a chroot of its layers as the image's user.
 */
class ContainerImageIT {
    private static final Path TARGET = Path.of(System.getProperty("mailflow.project.dir", "."))
            .resolve("analyzer/target");
    private static final Path IMAGE = TARGET.resolve("jib-image.tar");
    private static final String USER = "10001:10001";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    private static Path blobs;
    private static JsonNode manifest;
    private static JsonNode config;
    /** every entry of every layer, by absolute path; later layers win */
    private static final Map<String, TarArchiveEntry> FILES = new LinkedHashMap<>();
    private static final Map<String, String> FILE_SHA256 = new LinkedHashMap<>();

    @BeforeAll
    static void openImage() throws IOException {
        if (!Files.isRegularFile(IMAGE) && "true".equals(System.getenv("CI"))) {
            org.junit.jupiter.api.Assertions.fail(IMAGE + " was not built; under CI=true the image must be tested"
                + " (`mvn -B verify` builds it in pre-integration-test unless -Dmailflow.image.skip=true)");
        }
        assumeTrue(Files.isRegularFile(IMAGE), IMAGE + " not built (-Dmailflow.image.skip=true?): "
                + "`mvn -B verify -pl analyzer -am -DskipTests` builds it");
        Path layout = work.resolve("layout");
        untar(Files.newInputStream(IMAGE), layout, false);
        blobs = layout.resolve("blobs/sha256");
        JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
        assertEquals(1, index.get("manifests").size(), "one image in the index");
        manifest = blob(index.get("manifests").get(0).get("digest").asText());
        config = blob(manifest.get("config").get("digest").asText());
        for (JsonNode layer : manifest.get("layers")) {
            Path blob = blobPath(layer.get("digest").asText());
            try (TarArchiveInputStream tar = new TarArchiveInputStream(
                    new GZIPInputStream(Files.newInputStream(blob)))) {
                for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                    String name = "/" + entry.getName().replaceFirst("^\\./", "").replaceFirst("^/", "")
                            .replaceFirst("/$", "");
                    FILES.put(name, entry);
                    if (entry.isFile() && name.startsWith("/app/classpath/")) {
                        FILE_SHA256.put(name, sha256(tar));
                    }
                }
            }
        }
    }

    @Test
    void everyBlobMatchesItsDigestAndTheLayersTheirDiffIds() throws IOException {
        List<String> diffIds = new ArrayList<>();
        config.get("rootfs").get("diff_ids").forEach(d -> diffIds.add(d.asText()));
        int i = 0;
        for (JsonNode layer : manifest.get("layers")) {
            String digest = layer.get("digest").asText();
            assertEquals("application/vnd.oci.image.layer.v1.tar+gzip", layer.get("mediaType").asText());
            try (InputStream in = Files.newInputStream(blobPath(digest))) {
                assertEquals(digest, "sha256:" + sha256(in), "layer blob digest");
            }
            try (InputStream in = new GZIPInputStream(Files.newInputStream(blobPath(digest)))) {
                assertEquals(diffIds.get(i++), "sha256:" + sha256(in), "uncompressed layer = diff_id");
            }
        }
        assertEquals(diffIds.size(), i);
        try (InputStream in = Files.newInputStream(blobPath(manifest.get("config").get("digest").asText()))) {
            assertEquals(manifest.get("config").get("digest").asText(), "sha256:" + sha256(in));
        }
    }

    @Test
    void configuration() {
        JsonNode c = config.get("config");
        assertEquals("amd64", config.get("architecture").asText());
        assertEquals("linux", config.get("os").asText());
        assertEquals("1970-01-01T00:00:00Z", config.get("created").asText(), "reproducible: Jib's epoch");
        assertEquals(List.of("/opt/java/bin/java", "-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=/tmp",
                "-cp", "@/app/jib-classpath-file", "io.mailflow.app.Mailflow"), strings(c.get("Entrypoint")));
        assertEquals(List.of("--help"), strings(c.get("Cmd")));
        assertEquals(USER, c.get("User").asText());
        assertTrue(!c.get("User").asText().startsWith("0") && !c.get("User").asText().startsWith("root"),
                "non-root user");
        assertEquals(Set.of("9464/tcp", "9465/tcp", "8080/tcp"), fieldNames(c.get("ExposedPorts")));
        assertEquals(Set.of("/var/lib/mailflow"), fieldNames(c.get("Volumes")));
        assertEquals("/var/lib/mailflow", c.get("WorkingDir").asText());
        List<String> env = strings(c.get("Env"));
        assertTrue(env.contains("JDK_JAVA_OPTIONS=-XX:MaxRAMPercentage=75"), env.toString());
        assertTrue(env.contains("PATH=/opt/java/bin"), env.toString());
        JsonNode labels = c.get("Labels");
        assertEquals("mailflow", labels.get("org.opencontainers.image.title").asText());
        assertEquals(System.getProperty("mailflow.version", labels.get("org.opencontainers.image.version").asText()),
                labels.get("org.opencontainers.image.version").asText());
        assertTrue(labels.get("org.opencontainers.image.version").asText().matches("\\d+\\.\\d+\\.\\d+.*"));
        assertNotNull(labels.get("org.opencontainers.image.source"));
        assertNotNull(labels.get("org.opencontainers.image.licenses"));
    }

    @Test
    void theJarIsTheOneJustBuiltAndEveryDependencyIsThere() throws IOException {
        assertEquals(sha256(TARGET.resolve("mailflow.jar")), FILE_SHA256.get("/app/classpath/mailflow.jar"),
                "the image's /app/classpath/mailflow.jar is target/mailflow.jar");
        Set<String> libs;
        try (Stream<Path> s = Files.list(TARGET.resolve("lib"))) {
            libs = s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> inImage = FILES.keySet().stream().filter(p -> p.startsWith("/app/libs/"))
                .map(p -> p.substring("/app/libs/".length())).filter(p -> !p.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(libs, inImage, "target/lib = the image's /app/libs");
        assertTrue(FILES.containsKey("/app/jib-classpath-file"));
    }

    @Test
    void runtimeLibrariesAndDirectories() throws IOException {
        for (String exe : List.of("/opt/java/bin/java", "/lib64/ld-linux-x86-64.so.2")) {
            assertTrue(FILES.containsKey(exe), exe);
            assertEquals(0755, FILES.get(exe).getMode() & 07777, exe + " mode");
        }
        for (String lib : List.of("libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1")) {
            assertTrue(FILES.containsKey("/lib/x86_64-linux-gnu/" + lib), lib + " (glibc, RocksDB's libstdc++)");
        }
        // zlib: Debian's JDK links the system's (its libzip names libz.so.1), Temurin's bundles its own
        byte[] libzip = Files.readAllBytes(rootfs().resolve("opt/java/lib/libzip.so"));
        if (new String(libzip, StandardCharsets.ISO_8859_1).contains("libz.so.1")) {
            assertTrue(FILES.containsKey("/lib/x86_64-linux-gnu/libz.so.1"), "libz.so.1, which the runtime's libzip needs");
        }
        assertTrue(FILES.containsKey("/opt/java/lib/server/libjvm.so"));
        assertTrue(FILES.containsKey("/opt/java/lib/security/cacerts"));
        assertTrue(FILES.get("/opt/java/lib/security/cacerts").isFile(), "a real trust store, not a link");
        for (String dir : List.of("/tmp", "/var/lib/mailflow")) {
            assertTrue(FILES.containsKey(dir) && FILES.get(dir).isDirectory(), dir);
            assertEquals(0777, FILES.get(dir).getMode() & 0777, dir + " writable by the image's user");
        }
        assertTrue(FILES.containsKey("/etc/passwd") && FILES.containsKey("/etc/group"));
        assertTrue(FILES.values().stream().noneMatch(TarArchiveEntry::isSymbolicLink), "no links to resolve");
    }

    /** The image's own java, libraries and jars, as the image's user: what `docker run` starts. */
    @Test
    void runsInAChrootOfItsLayers() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && onPath("unshare") && onPath("chroot"),
                "skipped: starting the image's runtime in a chroot needs root, unshare and chroot "
                        + "(CI runs as root); the other tests check the image's files");
        Path root = rootfs();
        List<String> entrypoint = strings(config.get("config").get("Entrypoint"));
        Proc help = chroot(root, entrypoint, List.of("--help"));
        assertEquals(0, help.exit, help.output);
        assertTrue(help.output.contains("Usage: mailflow") && help.output.contains("ship"), help.output);

        // the native libraries, unpacked into /tmp as the image's user and loaded by the image's glibc
        Path probe = root.resolve("probe/io/mailflow/deploy/ImageNativeProbe.class");
        Files.createDirectories(probe.getParent());
        Files.copy(Path.of(ImageNativeProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("io/mailflow/deploy/ImageNativeProbe.class"), probe, StandardCopyOption.REPLACE_EXISTING);
        String classpath = "/probe:" + Files.readString(root.resolve("app/jib-classpath-file")).strip();
        List<String> probeCommand = new ArrayList<>(entrypoint.subList(0, entrypoint.indexOf("-cp")));
        probeCommand.addAll(List.of("-cp", classpath, ImageNativeProbe.class.getName()));
        Proc natives = chroot(root, probeCommand, List.of());
        assertEquals(0, natives.exit, natives.output);
        assertTrue(natives.output.contains("native libraries ok"), natives.output);
    }

    @Test
    void runsTheAnalyzerFromItsLayersAnswersHealthAndStopsOnSigterm() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && onPath("unshare") && onPath("chroot"),
                "skipped: starting the image's runtime in a chroot needs root, unshare and chroot (CI runs as root)");
        Path root = rootfs();
        int metrics;
        try (ServerSocket free = new ServerSocket(0)) {
            metrics = free.getLocalPort();
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            // the entrypoint as the container starts it, as the image's user; the state in the image's volume
            // directory, the host's network (a chroot has no namespace of its own for it)
            List<String> command = new ArrayList<>(strings(config.get("config").get("Entrypoint")));
            command.addAll(List.of("run", "-b", kafka.bootstrapServers(), "-r", "mock://image-it", "--metrics-port",
                    Integer.toString(metrics), "--query-port", "0", "-D", "application.id=image-it",
                    "-D", "state.dir=/var/lib/mailflow/state"));
            Path log = work.resolve("image-run.log");
            Process run = new ProcessBuilder(chrootCommand(root, command)).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            try {
                HttpClient http = HttpClient.newHttpClient();
                HttpRequest health = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + metrics + "/health")).timeout(Duration.ofSeconds(5)).build();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                String answer = "";
                while (System.nanoTime() < deadline && run.isAlive() && !answer.startsWith("200 RUNNING")) {
                    try {
                        HttpResponse<String> r = http.send(health, HttpResponse.BodyHandlers.ofString());
                        answer = r.statusCode() + " " + r.body().trim();
                    } catch (IOException notYet) {
                        answer = notYet.toString();
                    }
                    Thread.sleep(250);
                }
                assertTrue(answer.startsWith("200 RUNNING"), "/health of the image's `run`: " + answer + "\n" + Files.readString(log));
                // SIGTERM, as the kubelet sends it: committed and gone well within the pod's 90 s grace period
                long stop = System.nanoTime();
                run.destroy();
                assertTrue(run.waitFor(60, TimeUnit.SECONDS), "stopped within 60 s of SIGTERM\n" + Files.readString(log));
                String output = Files.readString(log);
                System.out.printf("ContainerImageIT: the image's run answered %s and stopped %d ms after SIGTERM (exit %d)%n", answer,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stop), run.exitValue());
                assertTrue(output.contains("Shutting down: finishing in-flight work and committing"), output);
                assertTrue(output.contains("Streams state PENDING_SHUTDOWN -> NOT_RUNNING"), output);
                assertEquals(143, run.exitValue(), "the JVM's exit after a SIGTERM it handled (128 + 15)");
                // without a group.instance.id it left its group as it stopped: the others need not wait
                // for its session to time out (45 s) to take its partitions
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                    assertEquals(List.of(), List.copyOf(admin.describeConsumerGroups(List.of("image-it")).all()
                            .get(30, TimeUnit.SECONDS).get("image-it").members()), "the stopped instance left its group");
                }
                assertTrue(Files.isDirectory(root.resolve("var/lib/mailflow/state/image-it")), "the state in the image's volume directory");
            } finally {
                run.destroyForcibly().waitFor();
            }
        }
    }

    private static Path rootfs;

    /** The image's layers unpacked in order, with their modes: its root file system (once). */
    private static synchronized Path rootfs() throws IOException {
        if (rootfs == null) {
            Path root = work.resolve("rootfs");
            for (JsonNode layer : manifest.get("layers")) {
                untar(new GZIPInputStream(Files.newInputStream(blobPath(layer.get("digest").asText()))), root, true);
            }
            rootfs = root;
        }
        return rootfs;
    }

    private record Proc(int exit, String output) {
    }

    private static Proc chroot(Path root, List<String> command, List<String> args) throws Exception {
        List<String> full = new ArrayList<>(command);
        full.addAll(args);
        Process p = new ProcessBuilder(chrootCommand(root, full)).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chroot run did not end");
        return new Proc(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /**
     * {@code command} in a chroot of {@code root} as the image's user with the image's environment;
     * every step execs the next, so the process started is the image's java itself (a signal reaches it).
     */
    private static List<String> chrootCommand(Path root, List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mkdir -p \"$0/proc\" && mount -t proc proc \"$0/proc\" && exec \"$@\"", root.toString(),
                "env", "-i"));
        cmd.addAll(strings(config.get("config").get("Env")));
        // env -i sets the image's PATH: name chroot by its host path
        cmd.addAll(List.of(which("chroot").toString(), "--userspec=" + USER, root.toString()));
        cmd.addAll(command);
        return cmd;
    }

    private static boolean onPath(String tool) {
        return which(tool) != null;
    }

    private static Path which(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .map(d -> Path.of(d, tool)).filter(Files::isExecutable).findFirst().orElse(null);
    }

    private static void untar(InputStream in, Path dir, boolean withModes) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                Path target = dir.resolve(entry.getName().replaceFirst("^/", "")).normalize();
                assertTrue(target.startsWith(dir), "entry outside the archive: " + entry.getName());
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(target.getParent());
                    Files.deleteIfExists(target);
                    Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
                    continue;
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                }
                if (withModes) {
                    Files.setPosixFilePermissions(target, permissions(entry.getMode()));
                }
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }

    private static Path blobPath(String digest) {
        assertTrue(digest.startsWith("sha256:"), digest);
        return blobs.resolve(digest.substring("sha256:".length()));
    }

    private static JsonNode blob(String digest) throws IOException {
        return JSON.readTree(Files.readAllBytes(blobPath(digest)));
    }

    private static List<String> strings(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(n -> list.add(n.asText()));
        return list;
    }

    private static Set<String> fieldNames(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256(in);
        }
    }

    private static String sha256(InputStream in) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            // not closed here: the caller's stream (a tar entry) goes on
            new DigestInputStream(in, md).transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
