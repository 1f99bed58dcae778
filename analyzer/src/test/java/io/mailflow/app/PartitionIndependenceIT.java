package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.emit.AvroJson;
import io.mailflow.emit.Topic;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.TopicReader;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.serde.DevRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Same input, same output: six generated hours from two Exchange servers with four overlapping
 * connector outages, analysed (1) by the embedded one-partition replay and (2) as deployed: a
 * broker with 6-partition topics, the real dev registry, two `mailflow run` processes of one
 * application with standby replicas. In (2) the traces reach the analyzer deliberately unevenly:
 * five partitions are written in full first, the sixth only afterwards (hours of event time
 * behind), and half way through the sixth either instance B is killed with SIGKILL or the broker
 * is stopped and restarted. Every output topic, read read_committed, must equal the embedded
 * replay's record for record (per key, in order).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Same input, same output: 6 uneven partitions and two instances (one killed, or the broker restarted) equal the one-partition replay")
class PartitionIndependenceIT {
    private static final int PARTITIONS = 6;
    private static final int LATE_PARTITION = 3;
    private static final Duration DONE_TIMEOUT = Duration.ofMinutes(5);
    private static final String[] SCENARIO = {"generate", "--seed", "11", "--duration", "6h", "--format", "exchange",
        "--servers", "EX01,EX02", "--connectors", "internet:10,partner-contoso:6,partner-fabrikam:4,mailbox:10",
        "--outage", "partner-contoso:4.4.316:90m@+1h", "--outage", "partner-fabrikam:4.4.315:2h@+1h30m",
        "--outage", "internet:4.4.312:40m@+3h30m", "--outage", "partner-contoso:4.7.320:50m@+4h"};

    /** Logs and state of the cluster run, kept under target/ for a look after a failure. */
    private Path work;
    private Path logs;
    private Map<String, Map<String, List<String>>> reference;
    private final List<Process> started = new ArrayList<>();

    @BeforeAll
    void generateAndReplayOnOnePartition(@TempDir final Path shared) throws Exception {
        logs = shared.resolve("logs");
        final List<String> generate = new ArrayList<>(List.of(SCENARIO));
        generate.addAll(List.of("--out", logs.toString(), "--quiet"));
        assertEquals(0, Mailflow.execute(generate.toArray(String[]::new)));
        final MailflowConfig base = MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://partition-independence-reference")
            .override("application.id", "pi-reference")
            .override("mailflow.queue.wall-clock-safety-net", "false")
            .build();
        final long t0 = System.nanoTime();
        try (EmbeddedRuntime runtime = EmbeddedRuntime.start(base)) {
            KafkaReplay.replay(runtime.config(), runtime.topics(), List.of(logs), ReplayOptions.defaults());
            runtime.awaitComplete(Duration.ofSeconds(3), DONE_TIMEOUT);
            reference = outputs(runtime.config().kafkaProperties(), runtime.topics());
        }
        System.out.printf("PartitionIndependenceIT: reference (one partition) in %.1f s: %s%n",
            (System.nanoTime() - t0) / 1e9, counts(reference));
        assertTrue(reference.get("mailflow.alerts").size() >= 3, "the scenario fires alerts on several connectors: "
            + reference.get("mailflow.alerts").keySet());
        assertTrue(reference.get("mailflow.alerts").values().stream().mapToInt(List::size).sum() >= 8, "and updates and resolves them");
    }

    @AfterEach
    void stopProcesses() throws InterruptedException {
        for (final Process p : started) {
            p.destroyForcibly().waitFor();
        }
        started.clear();
    }

    @Test
    @DisplayName("a partition hours behind, and instance B killed with SIGKILL half way through it")
    void unevenPartitionsAndAKilledInstance() throws Exception {
        runCluster("kill");
    }

    @Test
    @DisplayName("a partition hours behind, and the broker stopped and restarted half way through it")
    void unevenPartitionsAndABrokerRestart() throws Exception {
        runCluster("broker-restart");
    }

    private void runCluster(final String fault) throws Exception {
        final int port = freePort();
        final int controllerPort = freePort();
        final Map<String, String> fixedPorts = Map.of(
            "controller.quorum.voters", "1@127.0.0.1:" + controllerPort,
            "listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        work = Path.of("target", "partition-independence-it", fault).toAbsolutePath();
        EmbeddedKafka.deleteRecursively(work);
        Files.createDirectories(work);
        final Path kafkaDir = work.resolve("kafka");
        EmbeddedKafka kafka = EmbeddedKafka.start(port, kafkaDir, fixedPorts);
        try {
            final String registry = DevRegistry.url();
            final String app = "pi-" + fault + "-" + System.nanoTime();
            final MailflowConfig config = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", kafka.bootstrapServers())
                .override("schema.registry.url", registry)
                .override("application.id", app)
                .override("mailflow.topic.partitions", Integer.toString(PARTITIONS))
                .override("mailflow.topic.retention", "infinite")
                .build();
            final Topics topics = new Topics(config);
            // the replay writes to a staging topic; copying it partition by partition makes the unevenness
            final MailflowConfig staging = config.with("mailflow.topic.traces", "staging.traces");
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
                TopicAdmin.ensure(admin, TopicAdmin.specs(staging), false);
            }
            KafkaReplay.replay(staging, new Topics(staging), List.of(logs), ReplayOptions.defaults());

            final Process a = startInstance(kafka.bootstrapServers(), registry, app, "a");
            final Process b = startInstance(kafka.bootstrapServers(), registry, app, "b");
            final int portA = metricsPort.get("a");
            final int portB = metricsPort.get("b");
            awaitHealth(portA, a);
            awaitHealth(portB, b);

            final Map<Integer, List<ConsumerRecord<byte[], byte[]>>> staged = readStaging(kafka.bootstrapServers());
            final long t0 = System.nanoTime();
            for (int p = 0; p < PARTITIONS; p++) {
                if (p != LATE_PARTITION) {
                    copy(kafka.bootstrapServers(), staged.get(p), topics.traces.name());
                }
            }
            final List<ConsumerRecord<byte[], byte[]>> late = staged.get(LATE_PARTITION);
            final int half = late.size() / 2;
            copy(kafka.bootstrapServers(), late.subList(0, half), topics.traces.name());
            if (fault.equals("kill")) {
                b.destroyForcibly().waitFor(); // SIGKILL: no commit, no leave-group
            } else {
                kafka.close();
                Thread.sleep(10_000);
                kafka = EmbeddedKafka.start(port, kafkaDir, fixedPorts);
            }
            copy(kafka.bootstrapServers(), late.subList(half, late.size()), topics.traces.name());
            awaitComplete(config, topics, app, fault.equals("kill") ? List.of(a) : List.of(a, b));
            final Map<String, Map<String, List<String>>> cluster = outputs(config.kafkaProperties(), topics);
            System.out.printf("PartitionIndependenceIT[%s]: cluster done %.1f s after the copy began: %s%n", fault,
                (System.nanoTime() - t0) / 1e9, counts(cluster));
            for (final String topic : reference.keySet()) {
                assertEquals(reference.get(topic), cluster.get(topic), topic + ": the cluster's records per key differ from the one-partition replay's");
            }
        } finally {
            stopProcesses();
            kafka.close();
        }
    }

    private final Map<String, Integer> metricsPort = new HashMap<>();

    private Process startInstance(final String bootstrap, final String registry, final String app, final String name) throws IOException {
        final int metrics = freePort();
        metricsPort.put(name, metrics);
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Path jar = Path.of("target", "mailflow.jar").toAbsolutePath();
        final List<String> command = List.of(java, "-Xmx512m", "-jar", jar.toString(), "run", "-b", bootstrap, "-r", registry,
            "--metrics-port", Integer.toString(metrics),
            "-D", "application.id=" + app,
            "-D", "state.dir=" + work.resolve("state-" + name),
            "-D", "num.standby.replicas=1",
            "-D", "mailflow.topic.partitions=" + PARTITIONS,
            "-D", "mailflow.topic.retention=infinite",
            // a replay is judged on event time only; and this test is about a partition that is
            // behind, not one that is idle: no partition may count as idle while the test runs
            "-D", "mailflow.queue.wall-clock-safety-net=false",
            "-D", "mailflow.detect.partition-idle=10m",
            // the killed instance's partitions move to the survivor after this long
            "-D", "session.timeout.ms=10000");
        final ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("run-" + name + ".log").toFile()));
        final Process p = pb.start();
        started.add(p);
        return p;
    }

    private void awaitHealth(final int port, final Process process) throws Exception {
        final HttpClient http = HttpClient.newHttpClient();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("mailflow run died: " + tail(process));
            }
            try {
                final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("mailflow run not healthy within 90 s");
    }

    private String tail(final Process process) throws IOException {
        final StringBuilder out = new StringBuilder();
        for (final String name : List.of("a", "b")) {
            final Path log = work.resolve("run-" + name + ".log");
            if (Files.exists(log)) {
                final List<String> lines = Files.readAllLines(log);
                out.append("\n--- run-").append(name).append(".log ---\n")
                    .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
            }
        }
        return out.toString();
    }

    private static Map<Integer, List<ConsumerRecord<byte[], byte[]>>> readStaging(final String bootstrap) {
        final Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString()),
            new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition("staging.traces", p));
                byPartition.put(p, new ArrayList<>());
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    byPartition.get(r.partition()).add(r);
                }
            }
        }
        return byPartition;
    }

    /** Copies records to the same partition of {@code topic}: key, value, timestamp and headers, in order. */
    private static void copy(final String bootstrap, final List<ConsumerRecord<byte[], byte[]>> records, final String topic) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (final ConsumerRecord<byte[], byte[]> r : records) {
                producer.send(new ProducerRecord<>(topic, r.partition(), r.timestamp(), r.key(), r.value(), r.headers()));
            }
            producer.flush();
        }
    }

    /** Done when the group has committed every trace and no output topic has grown for 15 s. */
    private void awaitComplete(final MailflowConfig config, final Topics topics, final String group, final List<Process> alive)
            throws Exception {
        final long deadline = System.nanoTime() + DONE_TIMEOUT.toNanos();
        Map<TopicPartition, Long> last = Map.of();
        long stableSince = -1;
        int polls = 0;
        Exception lastError = null;
        try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
            while (System.nanoTime() < deadline) {
                for (final Process p : alive) {
                    if (!p.isAlive()) {
                        throw new AssertionError("mailflow run died: " + tail(p));
                    }
                }
                final Map<TopicPartition, Long> snapshot = new HashMap<>();
                boolean tracesDone = true;
                try {
                    final Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                    final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
                    admin.describeTopics(topics.all().stream().map(Topic::name).toList()).allTopicNames().get(10, TimeUnit.SECONDS)
                        .forEach((name, description) -> description.partitions()
                            .forEach(p -> request.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
                    admin.listOffsets(request).all().get(10, TimeUnit.SECONDS).forEach((tp, info) -> snapshot.put(tp, info.offset()));
                    committed.forEach((tp, om) -> snapshot.put(new TopicPartition("committed:" + tp.topic(), tp.partition()),
                        om == null ? -1 : om.offset()));
                    for (int p = 0; p < PARTITIONS; p++) {
                        final TopicPartition tp = new TopicPartition(topics.traces.name(), p);
                        final OffsetAndMetadata c = committed.get(tp);
                        if (c == null || c.offset() < snapshot.get(tp)) {
                            tracesDone = false;
                        }
                    }
                } catch (final Exception e) {
                    tracesDone = false; // broker still coming back
                    lastError = e;
                }
                if (++polls % 30 == 0) {
                    System.out.printf("PartitionIndependenceIT: waiting, traces done %s (%s), offsets %s%n", tracesDone, lastError, new TreeMap<>(
                        snapshot.entrySet().stream().collect(java.util.stream.Collectors.toMap(e -> e.getKey().toString(), Map.Entry::getValue))));
                }
                if (tracesDone && snapshot.equals(last)) {
                    if (stableSince < 0) {
                        stableSince = System.nanoTime();
                    } else if (System.nanoTime() - stableSince >= TimeUnit.SECONDS.toNanos(15)) {
                        return;
                    }
                } else {
                    stableSince = -1;
                }
                last = snapshot;
                Thread.sleep(1000);
            }
        }
        throw new AssertionError("the cluster did not finish within " + DONE_TIMEOUT + tail(null));
    }

    /** Every output topic as key -> that key's values in topic order (JSON as `replay --out` writes them). */
    private static Map<String, Map<String, List<String>>> outputs(final Map<String, Object> kafka, final Topics topics) {
        final Map<String, Map<String, List<String>>> out = new LinkedHashMap<>();
        for (final Topic<String, ? extends SpecificRecord> topic : List.of(topics.alerts, topics.ndr, topics.delays,
            topics.connectorStats, topics.deadLetters)) {
            final Map<String, List<String>> byKey = new TreeMap<>();
            for (final ConsumerRecord<String, ? extends SpecificRecord> r : TopicReader.readToEnd(kafka, topic, Duration.ofSeconds(60))) {
                byKey.computeIfAbsent(String.valueOf(r.key()), k -> new ArrayList<>())
                    .add(r.timestamp() + " " + AvroJson.toJson((IndexedRecord) r.value()));
            }
            out.put(topic.name(), byKey);
        }
        return out;
    }

    private static Map<String, Integer> counts(final Map<String, Map<String, List<String>>> outputs) {
        final Map<String, Integer> counts = new LinkedHashMap<>();
        outputs.forEach((topic, byKey) -> counts.put(topic, byKey.values().stream().mapToInt(List::size).sum()));
        return counts;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
