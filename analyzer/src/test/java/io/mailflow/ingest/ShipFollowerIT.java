package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.app.EmbeddedKafka;
import io.mailflow.app.Mailflow;
import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mailflow ship} as it runs next to a mail server: a child process following an Exchange
 * tracking-log directory (a new MSGTRK file every event hour) and a Postfix maillog that logrotate
 * rotates by rename+create, then by copytruncate with the older file gzipped, all written line by
 * line while it runs; SIGKILLed twice (once with a rotation happening while it is down) and
 * restarted, and the broker stopped for a while (the shipper says STALLED or RETRYING on /health and
 * keeps its place). The traces topic must then hold exactly the records a replay of the final files gives
 * (the file a line was read from aside: the shipper names the file as it was when it read it),
 * none missing and none twice, and the dead-letter topic the replay's dead letters.
 */
@DisplayName("mailflow ship follows growing and rotating logs through two SIGKILLs and a broker restart: exactly the records of a replay of the final files")
class ShipFollowerIT {
    private static final int PARTITIONS = 3;
    private static final Duration CATCH_UP = Duration.ofMinutes(2);

    @TempDir
    Path work;

    @Test
    void followsRotationsThroughKillsExactlyOnce() throws Exception {
        final Path generated = Files.createDirectories(work.resolve("generated"));
        final String[] scenario = {"--seed", "11", "--duration", "4h", "--connectors", "internet:4,partner-contoso:2,mailbox:3",
            "--outage", "partner-contoso:4.4.316:1h@+1h"};
        generate(generated.resolve("exchange"), "exchange", scenario);
        generate(generated.resolve("maillog"), "postfix", scenario);
        final List<String> exchangeLines = Files.readAllLines(single(generated.resolve("exchange")), StandardCharsets.UTF_8);
        final List<String> postfixLines = new ArrayList<>(Files.readAllLines(generated.resolve("maillog"), StandardCharsets.UTF_8));
        // one line no parser can read: it must reach the dead letters once, as in the replay
        postfixLines.add(postfixLines.size() / 2, "this is not a syslog line");

        final Path logs = Files.createDirectories(work.resolve("logs"));
        final Path exchangeDir = Files.createDirectories(logs.resolve("exchange"));
        final Path postfixDir = Files.createDirectories(logs.resolve("postfix"));
        // fixed ports and a kept log directory: the broker is stopped and started again mid-run
        final int[] ports = EmbeddedKafka.freePorts(2);
        final Map<String, String> fixedPorts = Map.of("controller.quorum.voters", "1@127.0.0.1:" + ports[1],
            "listeners", "PLAINTEXT://127.0.0.1:" + ports[0] + ",CONTROLLER://127.0.0.1:" + ports[1]);
        EmbeddedKafka kafka = EmbeddedKafka.start(ports[0], work.resolve("kafka"), fixedPorts);
        try {
            final MailflowConfig config = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", kafka.bootstrapServers())
                .override("mailflow.topic.partitions", Integer.toString(PARTITIONS))
                // retention runs on record (= event) time, and the generated logs are from March:
                // with the 7-day default the broker would delete them while the test runs
                .override("mailflow.topic.retention", "infinite").build();
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
            }
            final Shipper shipper = new Shipper(kafka.bootstrapServers(), exchangeDir, postfixDir);
            try {
                final LogWriter writer = new LogWriter(exchangeDir, postfixDir, exchangeLines, postfixLines);
                shipper.start();
                writer.writeUntil(0.25);
                shipper.awaitCommit();
                shipper.kill();          // SIGKILL while it catches up with the first quarter
                writer.writeUntil(0.30);
                shipper.start();
                writer.writeUntil(0.40);
                shipper.awaitCommit();
                writer.rotateByRename(); // mail.log -> mail.log.1, new mail.log
                writer.writeUntil(0.60);
                shipper.awaitCommit();
                shipper.kill();          // down while logrotate copies and truncates
                writer.writeUntil(0.62);
                writer.rotateByCopyTruncate(); // mail.log.1 -> mail.log.2(.gz), mail.log copied to mail.log.1, truncated
                writer.writeUntil(0.66);
                shipper.start();
                writer.writeUntil(0.80);
                shipper.awaitCommit();
                kafka.close();           // Kafka away for a while: the shipper waits and keeps its place
                writer.writeUntil(0.90);
                final String healthWhileDown = shipper.awaitHealthOtherThan("200 RUNNING", Duration.ofSeconds(60));
                kafka = EmbeddedKafka.start(ports[0], work.resolve("kafka"), fixedPorts);
                writer.writeUntil(1.0);
                final ReplayedFinal expected = replayFinalFiles(logs);
                final Shipped shipped = awaitShipped(kafka.bootstrapServers(), config, expected.traces().size(), shipper);
                // caught up: /health says so, /metrics counts what this (third) instance shipped and no lag
                assertEquals("200 RUNNING", shipper.get("/health"));
                final String metrics = shipper.get("/metrics");
                for (final String metric : List.of("mailflow_ship_lines_read_total", "mailflow_ship_records_sent_total",
                    "mailflow_ship_dead_letters_total", "mailflow_ship_transactions_total", "mailflow_ship_last_event_time_seconds")) {
                    assertTrue(metrics.contains("\n" + metric + " "), metric + " in /metrics:\n" + metrics);
                }
                assertTrue(metrics.contains("\nmailflow_ship_lag_bytes 0.0"), "no lag once caught up:\n" + metrics);
                assertTrue(metrics.contains("mailflow_ship_file_lag_bytes{path=\"" + postfixDir.resolve("mail.log") + "\"} 0.0"),
                    "the live maillog's own lag:\n" + metrics);
                System.out.println("ShipFollowerIT: /health while the broker was down: " + healthWhileDown);
                assertTrue(healthWhileDown.startsWith("503 STALLED") || healthWhileDown.startsWith("503 RETRYING"), healthWhileDown);
                System.out.printf("ShipFollowerIT: %d Exchange + %d Postfix lines written in %d Exchange files; replay of the final files:"
                        + " %d traces, %d dead letters; shipped: %d traces, %d dead letters%n", exchangeLines.size(), postfixLines.size(),
                    writer.exchangeFiles, expected.traces().size(), expected.deadLetters().size(), shipped.traces().size(),
                    shipped.deadLetters().size());
                final String traceDifference = difference(expected.traces(), shipped.traces());
                if (!traceDifference.isEmpty()) {
                    Files.copy(work.resolve("ship.log"), Path.of("target", "ShipFollowerIT-ship.log"), StandardCopyOption.REPLACE_EXISTING);
                }
                assertEquals("", traceDifference, "every trace record exactly once, as the replay reads it (the shipper's log: target/ShipFollowerIT-ship.log)");
                assertEquals("", difference(expected.deadLetters(), shipped.deadLetters()), "dead letters exactly once");
                assertTrue(writer.exchangeFiles >= 4, "a new Exchange file per event hour");
            } finally {
                shipper.stop();
            }
        } finally {
            kafka.close();
        }
    }

    private static void generate(final Path out, final String format, final String... scenario) {
        final List<String> args = new ArrayList<>(List.of("generate", "--format", format, "--servers", "EX01", "--out", out.toString(), "--quiet"));
        args.addAll(List.of(scenario));
        assertEquals(0, Mailflow.execute(args.toArray(String[]::new)), "mailflow generate --format " + format);
    }

    private static Path single(final Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.findFirst().orElseThrow();
        }
    }

    /** Writes the generated lines into the followed files as the mail servers would, with logrotate's moves. */
    private static final class LogWriter {
        private final Path exchangeDir;
        private final Path postfixDir;
        private final List<String> header = new ArrayList<>();
        private final List<String> exchangeRows = new ArrayList<>();
        private final List<String> postfixLines;
        private int exchangeNext;
        private int postfixNext;
        private String exchangeHour;
        private Path exchangeFile;
        int exchangeFiles;

        LogWriter(final Path exchangeDir, final Path postfixDir, final List<String> exchangeLines, final List<String> postfixLines) {
            this.exchangeDir = exchangeDir;
            this.postfixDir = postfixDir;
            for (final String line : exchangeLines) {
                (line.startsWith("#") && exchangeRows.isEmpty() ? header : exchangeRows).add(line);
            }
            this.postfixLines = postfixLines;
        }

        /** Appends lines of both logs until {@code fraction} of each is written, a few at a time. */
        void writeUntil(final double fraction) throws IOException, InterruptedException {
            final int exchangeEnd = (int) Math.round(exchangeRows.size() * fraction);
            final int postfixEnd = (int) Math.round(postfixLines.size() * fraction);
            while (exchangeNext < exchangeEnd || postfixNext < postfixEnd) {
                final StringBuilder rows = new StringBuilder();
                for (int i = 0; i < 40 && exchangeNext < exchangeEnd; i++) {
                    final String row = exchangeRows.get(exchangeNext++);
                    final String hour = row.substring(0, 13); // 2026-03-02T08
                    if (!hour.equals(exchangeHour)) {
                        flushExchange(rows);
                        // Exchange starts a new file every hour, with its header
                        exchangeHour = hour;
                        exchangeFile = exchangeDir.resolve("MSGTRK" + hour.replace("-", "").replace("T", "") + "-1.LOG");
                        Files.writeString(exchangeFile, String.join("\r\n", header) + "\r\n", StandardCharsets.UTF_8);
                        exchangeFiles++;
                    }
                    rows.append(row).append("\r\n");
                }
                flushExchange(rows);
                final StringBuilder lines = new StringBuilder();
                for (int i = 0; i < 60 && postfixNext < postfixEnd; i++) {
                    lines.append(postfixLines.get(postfixNext++)).append('\n');
                }
                append(postfixDir.resolve("mail.log"), lines.toString());
                Thread.sleep(5);
            }
        }

        private void flushExchange(final StringBuilder rows) throws IOException {
            if (rows.length() > 0) {
                append(exchangeFile, rows.toString());
                rows.setLength(0);
            }
        }

        private static void append(final Path file, final String text) throws IOException {
            if (!text.isEmpty()) {
                Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }

        /** logrotate's default: rename, and syslog opens a new file. */
        void rotateByRename() throws IOException {
            Files.move(postfixDir.resolve("mail.log"), postfixDir.resolve("mail.log.1"));
            Files.createFile(postfixDir.resolve("mail.log"));
        }

        /** logrotate with copytruncate and compress (delaycompress off): the older file gzipped, the live one copied and emptied. */
        void rotateByCopyTruncate() throws IOException {
            Files.move(postfixDir.resolve("mail.log.1"), postfixDir.resolve("mail.log.2"));
            Files.copy(postfixDir.resolve("mail.log"), postfixDir.resolve("mail.log.1"), StandardCopyOption.COPY_ATTRIBUTES);
            try (var channel = java.nio.channels.FileChannel.open(postfixDir.resolve("mail.log"), StandardOpenOption.WRITE)) {
                channel.truncate(0);
            }
            try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(postfixDir.resolve("mail.log.2.gz")))) {
                Files.copy(postfixDir.resolve("mail.log.2"), gz);
            }
            // gzip keeps the file's modification time: the rotated files stay in their age order
            Files.setLastModifiedTime(postfixDir.resolve("mail.log.2.gz"), Files.getLastModifiedTime(postfixDir.resolve("mail.log.2")));
            Files.delete(postfixDir.resolve("mail.log.2"));
        }
    }

    /** The shipper as a child process of target/mailflow.jar, so that it can be SIGKILLed. */
    private final class Shipper {
        private final String bootstrap;
        private final Path exchangeDir;
        private final Path postfixDir;
        private Process process;
        private int starts;
        private int metricsPort;

        Shipper(final String bootstrap, final Path exchangeDir, final Path postfixDir) {
            this.bootstrap = bootstrap;
            this.exchangeDir = exchangeDir;
            this.postfixDir = postfixDir;
        }

        void start() throws IOException {
            starts++;
            try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
                metricsPort = free.getLocalPort();
            }
            final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            final List<String> command = List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", Path.of("target", "mailflow.jar").toAbsolutePath().toString(),
                "ship", "-b", bootstrap, "-r", "mock://ship-it", "--name", "it-mx1", "--state", work.resolve("ship.state").toString(),
                "--poll-interval", "100ms", "--batch-lines", "700", "--metrics-port", Integer.toString(metricsPort),
                "-D", "mailflow.topic.partitions=" + PARTITIONS,
                postfixDir.resolve("mail.log*").toString(), exchangeDir.resolve("MSGTRK*.LOG").toString());
            process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("ship.log").toFile())).start();
        }

        /** Waits until the shipper commits a transaction after this call (its state file's sequence grows). */
        void awaitCommit() throws InterruptedException {
            final Path state = work.resolve("ship.state");
            final long before = ShipCheckpoint.readFile(state).map(ShipCheckpoint::seq).orElse(0L);
            final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (System.nanoTime() < deadline) {
                assertTrue(alive(), "mailflow ship died:\n" + log());
                try {
                    if (ShipCheckpoint.readFile(state).map(ShipCheckpoint::seq).orElse(0L) > before) {
                        return;
                    }
                } catch (final RuntimeException e) {
                    // being replaced this very moment: read it again
                }
                Thread.sleep(20);
            }
            throw new AssertionError("mailflow ship committed nothing for 90 s:\n" + log());
        }

        void kill() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL
            process.waitFor();
        }

        void stop() throws InterruptedException {
            if (process != null && process.isAlive()) {
                process.destroy();
                process.waitFor();
            }
        }

        /** Status code and body of an endpoint of the shipper's metrics server. */
        String get(final String path) throws IOException, InterruptedException {
            final java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + metricsPort + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body().trim();
        }

        /** Polls /health until it answers something else than {@code normal}; returns that answer. */
        String awaitHealthOtherThan(final String normal, final Duration timeout) throws IOException, InterruptedException {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                final String health = get("/health");
                if (!health.equals(normal)) {
                    return health;
                }
                Thread.sleep(500);
            }
            throw new AssertionError("/health said '" + normal + "' for " + timeout);
        }

        boolean alive() {
            return process.isAlive();
        }

        String log() {
            try {
                final List<String> lines = Files.readAllLines(work.resolve("ship.log"), StandardCharsets.UTF_8);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            } catch (final IOException e) {
                return e.toString();
            }
        }
    }

    private record ReplayedFinal(List<String> traces, List<String> deadLetters) {
    }

    private record Shipped(List<String> traces, List<String> deadLetters) {
    }

    /** What `replay` makes of the files as they are at the end, every record as comparable text. */
    private static ReplayedFinal replayFinalFiles(final Path logs) throws InterruptedException {
        final CollectingSink sink = new CollectingSink();
        new Replayer().replay(List.of(logs), ReplayOptions.defaults(), sink);
        return new ReplayedFinal(
            sorted(sink.records.stream().map(r -> comparable(r.key(), r.trace())).toList()),
            sorted(sink.deadLetters.stream().map(ShipFollowerIT::comparable).toList()));
    }

    /** Waits until the traces topic holds at least {@code expected} records and stops growing, then reads both topics. */
    private static Shipped awaitShipped(final String bootstrap, final MailflowConfig config, final int expected, final Shipper shipper)
            throws InterruptedException {
        final long deadline = System.nanoTime() + CATCH_UP.toNanos();
        List<ConsumerRecord<byte[], byte[]>> traces = List.of();
        int stable = 0;
        while (System.nanoTime() < deadline) {
            assertTrue(shipper.alive(), "mailflow ship died:\n" + shipper.log());
            final List<ConsumerRecord<byte[], byte[]>> now = read(bootstrap, config.require("mailflow.topic.traces"));
            stable = now.size() >= expected && now.size() == traces.size() ? stable + 1 : 0;
            traces = now;
            if (stable >= 3) {
                break;
            }
            Thread.sleep(1_000);
        }
        final List<String> shippedTraces = new ArrayList<>();
        for (final ConsumerRecord<byte[], byte[]> r : traces) {
            shippedTraces.add(comparable(new String(r.key(), StandardCharsets.UTF_8), decode(r.value(), MessageTrace.getClassSchema())));
        }
        final List<String> shippedDead = new ArrayList<>();
        for (final ConsumerRecord<byte[], byte[]> r : read(bootstrap, config.require("mailflow.topic.dead-letters"))) {
            shippedDead.add(comparable((DeadLetter) decode(r.value(), DeadLetter.getClassSchema())));
        }
        return new Shipped(sorted(shippedTraces), sorted(shippedDead));
    }

    private static String comparable(final String key, final MessageTrace trace) {
        final MessageTrace copy = MessageTrace.newBuilder(trace).build();
        copy.getProvenance().setFile(null); // the shipper names the file as it was when read (mail.log, not mail.log.1)
        return key + " " + copy;
    }

    private static String comparable(final DeadLetter deadLetter) {
        final String source = deadLetter.getSource();
        return source.substring(source.lastIndexOf(':')) + " " + deadLetter.getReason() + " " + deadLetter.getRaw()
            + " " + deadLetter.getEventTime();
    }

    /** What one side has more often than the other, a few of each; empty when the two are equal as multisets. */
    private static String difference(final List<String> expected, final List<String> actual) {
        final Map<String, Integer> count = new HashMap<>();
        expected.forEach(e -> count.merge(e, 1, Integer::sum));
        actual.forEach(a -> count.merge(a, -1, Integer::sum));
        final List<String> missing = count.entrySet().stream().filter(e -> e.getValue() > 0).map(Map.Entry::getKey).sorted().toList();
        final List<String> extra = count.entrySet().stream().filter(e -> e.getValue() < 0).map(Map.Entry::getKey).sorted().toList();
        if (missing.isEmpty() && extra.isEmpty()) {
            return "";
        }
        return missing.size() + " missing (or fewer times), e.g. " + missing.subList(0, Math.min(3, missing.size())) + "\n"
            + extra.size() + " extra (or more times), e.g. " + extra.subList(0, Math.min(3, extra.size()));
    }

    private static List<String> sorted(final List<String> values) {
        return values.stream().sorted(Comparator.naturalOrder()).toList();
    }

    @SuppressWarnings("unchecked")
    private static <T extends SpecificRecord> T decode(final byte[] confluentWire, final org.apache.avro.Schema schema) {
        // magic byte 0 and a 4-byte schema id, then the Avro binary written with this very schema
        final ByteBuffer buffer = ByteBuffer.wrap(confluentWire);
        assertEquals(0, buffer.get(), "Confluent wire format magic byte");
        buffer.getInt();
        try {
            return (T) new SpecificDatumReader<>(schema).read(null,
                DecoderFactory.get().binaryDecoder(confluentWire, 5, confluentWire.length - 5, null));
        } catch (final IOException e) {
            throw new AssertionError("not an Avro " + schema.getName(), e);
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(final String bootstrap, final String topic) {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            final Map<TopicPartition, Long> end = new TreeMap<>(Comparator.comparing(TopicPartition::toString));
            end.putAll(consumer.endOffsets(tps));
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
