package io.mailflow.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@code rsyslogd} of its own for a test: runs {@code deploy/rsyslog/mailflow-omkafka-imfile.conf}
 * with the broker, the followed file and the directories substituted, in the foreground
 * ({@code rsyslogd -n -f CONF -i PIDFILE}), as a child process of the test JVM. It never touches
 * the system's rsyslog (/etc/rsyslog.conf, /run/rsyslogd.pid, /dev/log: this configuration loads no
 * socket input). {@link #close()} sends SIGTERM and waits for rsyslog's orderly shutdown.
 *
 * <p>Substitution is literal: every value the deploy file has for a deployment (brokers, topic,
 * followed file, work directory, rsyslog's own log) must occur in it, or {@link #config} fails,
 * so the test always runs the deploy file itself and not a stale copy.
 */
public final class RsyslogProcess implements AutoCloseable {
    static final String DEPLOY_CONF = "deploy/rsyslog/mailflow-omkafka-imfile.conf";
    static final String DROP_IN_CONF = "deploy/rsyslog/mailflow-omkafka.conf";
    static final String DEPLOY_WORK_DIR = "/var/spool/rsyslog-mailflow";
    static final String DEPLOY_INPUT = "/var/log/mail.log";
    static final String DEPLOY_INTERNAL_LOG = "/var/log/rsyslog-mailflow.log";
    static final String DEPLOY_TOPIC = "mailflow.raw-lines";
    private static final Pattern BROKERS = Pattern.compile("broker=\\[[^\\]]*\\]");

    private final Process process;
    private final Path dir;
    private final Path output;
    private final Path internalLog;

    private RsyslogProcess(final Process process, final Path dir, final Path output, final Path internalLog) {
        this.process = process;
        this.dir = dir;
        this.output = output;
        this.internalLog = internalLog;
    }

    /** What is missing to run rsyslog with omkafka here, or empty when both are installed. */
    public static Optional<String> missing() {
        if (rsyslogd().isEmpty()) {
            return Optional.of("rsyslogd is not installed (deploy/rsyslog/install.sh installs rsyslog and rsyslog-kafka)");
        }
        if (omkafkaModule().isEmpty()) {
            return Optional.of("rsyslog's Kafka output module omkafka.so is not installed"
                + " (deploy/rsyslog/install.sh installs the Debian package rsyslog-kafka)");
        }
        return Optional.empty();
    }

    /** The rsyslogd binary: on PATH or in the sbin directories a non-root PATH often lacks. */
    static Optional<Path> rsyslogd() {
        final List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/local/sbin"));
        for (final String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            final Path candidate = Path.of(d, "rsyslogd");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** omkafka.so in rsyslog's module directory (/usr/lib/&lt;multiarch&gt;/rsyslog on Debian). */
    static Optional<Path> omkafkaModule() {
        final List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/lib/rsyslog/omkafka.so"),
            Path.of("/usr/lib64/rsyslog/omkafka.so"), Path.of("/usr/local/lib/rsyslog/omkafka.so")));
        try (DirectoryStream<Path> lib = Files.newDirectoryStream(Path.of("/usr/lib"))) {
            for (final Path p : lib) {
                candidates.add(p.resolve("rsyslog/omkafka.so"));
            }
        } catch (final IOException e) {
            // no /usr/lib: the fixed candidates only
        }
        return candidates.stream().filter(Files::isRegularFile).findFirst();
    }

    /**
     * The deploy file's text for a test: brokers, topic, followed file, work directory and
     * rsyslog's own log replaced; each must occur in the deploy file.
     */
    static String config(final String deployText, final String bootstrapServers, final String topic,
                         final Path input, final Path workDir, final Path internalLog) {
        String text = deployText;
        final Matcher brokers = BROKERS.matcher(text);
        if (!brokers.find()) {
            throw new IllegalStateException(DEPLOY_CONF + " has no broker=[...] to point at the test broker");
        }
        final StringBuilder list = new StringBuilder("broker=[");
        final String[] servers = bootstrapServers.split(",");
        for (int i = 0; i < servers.length; i++) {
            list.append(i == 0 ? "" : ", ").append('"').append(servers[i].trim()).append('"');
        }
        text = brokers.replaceAll(Matcher.quoteReplacement(list.append(']').toString()));
        text = replace(text, "topic=\"" + DEPLOY_TOPIC + "\"", "topic=\"" + topic + "\"");
        text = replace(text, "\"" + DEPLOY_INPUT + "\"", "\"" + input.toAbsolutePath() + "\"");
        text = replace(text, "\"" + DEPLOY_INTERNAL_LOG + "\"", "\"" + internalLog.toAbsolutePath() + "\"");
        text = replace(text, DEPLOY_WORK_DIR, workDir.toAbsolutePath().toString());
        return text;
    }

    private static String replace(final String text, final String deployValue, final String testValue) {
        if (!text.contains(deployValue)) {
            throw new IllegalStateException(DEPLOY_CONF + " no longer contains " + deployValue
                + ": update RsyslogProcess's substitutions with the deploy file");
        }
        return text.replace(deployValue, testValue);
    }

    /**
     * Writes the configuration into {@code dir} (conf, work/, pid file, output) and starts rsyslogd
     * following {@code input}. Returns once rsyslogd has passed its configuration check.
     */
    public static RsyslogProcess start(final Path projectDir, final String bootstrapServers, final String topic,
                                final Path input, final Path dir) throws IOException, InterruptedException {
        final Path rsyslogd = rsyslogd().orElseThrow(() -> new IllegalStateException(missing().orElse("rsyslogd missing")));
        final Path workDir = Files.createDirectories(dir.resolve("work"));
        final Path internalLog = dir.resolve("rsyslogd-internal.log");
        final Path conf = dir.resolve("mailflow-omkafka-imfile.conf");
        final String deployText = Files.readString(projectDir.resolve(DEPLOY_CONF), StandardCharsets.UTF_8);
        Files.writeString(conf, config(deployText, bootstrapServers, topic, input, workDir, internalLog), StandardCharsets.UTF_8);

        // a configuration error would otherwise only show as "nothing arrives": check it first (-N1)
        final Path check = dir.resolve("rsyslogd-check.out");
        final Process validation = new ProcessBuilder(rsyslogd.toString(), "-N1", "-f", conf.toString())
            .redirectErrorStream(true).redirectOutput(check.toFile()).start();
        if (!validation.waitFor(60, TimeUnit.SECONDS) || validation.exitValue() != 0) {
            validation.destroyForcibly();
            throw new IllegalStateException("rsyslogd -N1 rejects " + conf + ":\n" + Files.readString(check));
        }

        final Path output = dir.resolve("rsyslogd.out");
        final Process process = new ProcessBuilder(rsyslogd.toString(), "-n", "-f", conf.toString(),
                "-i", dir.resolve("rsyslogd.pid").toString())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
        return new RsyslogProcess(process, dir, output, internalLog);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    Path directory() {
        return dir;
    }

    /** rsyslogd's standard output and error, and its own messages (omkafka errors, queue notices). */
    public String diagnostics() {
        final StringBuilder sb = new StringBuilder();
        sb.append("rsyslogd ").append(process.isAlive() ? "running" : "exited with " + process.exitValue())
            .append("; stdout/stderr (").append(output).append("):\n").append(tail(output))
            .append("\nrsyslogd's own messages (").append(internalLog).append("):\n").append(tail(internalLog));
        return sb.toString();
    }

    private static String tail(final Path file) {
        try {
            if (!Files.exists(file)) {
                return "(none)";
            }
            final String text = Files.readString(file, StandardCharsets.UTF_8);
            return text.length() > 6000 ? "..." + text.substring(text.length() - 6000) : text;
        } catch (final IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** SIGTERM, then up to 30 s for rsyslog to drain omkafka and save its queue; SIGKILL after that. */
    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The repository root, where deploy/ lies. */
    public static Path projectDir() {
        final String given = System.getProperty("mailflow.project.dir", "").trim();
        if (!given.isEmpty() && Files.isDirectory(Path.of(given, "deploy"))) {
            return Path.of(given);
        }
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null) {
            if (Files.isDirectory(dir.resolve("deploy/rsyslog")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("Cannot find the mailflow repository root (set -Dmailflow.project.dir)");
    }
}
