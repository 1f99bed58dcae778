package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.AvroJson;
import io.mailflow.emit.Topic;
import io.mailflow.emit.TopicReader;
import io.mailflow.emit.Topics;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * `mailflow run` instances of one application as users deploy them: child processes of
 * target/mailflow.jar against a real broker and registry, their logs under a work directory; and
 * what the cluster tests need around them: waiting until the application has analysed every
 * trace, and every output topic read back read_committed, comparable with an embedded replay's.
 */
final class ClusterInstances implements AutoCloseable {
    /** After the first caught-up poll, how long the offsets must stay unchanged (as `replay --embedded`'s default quiet period). */
    private static final Duration QUIET = Duration.ofSeconds(3);

    private final Path work;
    private final int partitions;
    private final List<Process> started = new ArrayList<>();
    private final Map<String, Integer> metricsPorts = new HashMap<>();
    private final Map<String, Process> byName = new HashMap<>();

    /** @param partitions the partitions of every mailflow topic (and so of the traces topic) */
    ClusterInstances(final Path work, final int partitions) {
        this.work = work;
        this.partitions = partitions;
    }

    /**
     * Starts instance {@code name} with standby replicas, a short session timeout (a killed
     * instance's partitions move within 10 s) and event time alone deciding (no wall-clock
     * safety net, no partition idle while the test runs); {@code defines} add or override settings.
     */
    Process start(final String name, final String bootstrap, final String registry, final String app, final String... defines)
            throws IOException {
        final int metrics = freePort();
        metricsPorts.put(name, metrics);
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Path jar = Path.of("target", "mailflow.jar").toAbsolutePath();
        // C1 only: on 2 cores, C2 compiling in every short-lived instance took as much CPU as the
        // analysis itself (a 21k-trace embedded replay: 50 s of CPU with C2, 22 s without)
        final List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(), "run", "-b", bootstrap,
            "-r", registry, "--metrics-port", Integer.toString(metrics),
            "-D", "application.id=" + app,
            "-D", "state.dir=" + work.resolve("state-" + name),
            "-D", "num.standby.replicas=1",
            "-D", "mailflow.topic.partitions=" + partitions,
            "-D", "mailflow.topic.retention=infinite",
            "-D", "mailflow.queue.wall-clock-safety-net=false",
            "-D", "mailflow.detect.partition-idle=10m",
            "-D", "session.timeout.ms=10000"));
        if (Arrays.stream(defines).noneMatch(d -> d.startsWith("mailflow.query.port="))) {
            // the query API on any free port: several instances share this machine
            command.addAll(List.of("--query-port", "0"));
        }
        for (final String define : defines) {
            command.add("-D");
            command.add(define);
        }
        final ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("run-" + name + ".log").toFile()));
        final Process p = pb.start();
        started.add(p);
        byName.put(name, p);
        return p;
    }

    int metricsPort(final String name) {
        return metricsPorts.get(name);
    }

    /** /health of instance {@code name}: status code and body; -1 when it does not answer. */
    HealthAnswer health(final String name) {
        try {
            final HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metricsPorts.get(name) + "/health")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
            return new HealthAnswer(r.statusCode(), r.body().trim());
        } catch (final IOException e) {
            return new HealthAnswer(-1, e.toString());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new HealthAnswer(-1, "interrupted");
        }
    }

    record HealthAnswer(int status, String body) {
    }

    /** Waits until instance {@code name} answers /health with 200 (RUNNING or REBALANCING). */
    void awaitHealthy(final String name, final Duration timeout) throws InterruptedException {
        awaitHealth(name, timeout, "healthy", h -> h.status() == 200);
    }

    /** Waits until instance {@code name}'s /health says RUNNING: its tasks are assigned and processing. */
    void awaitRunning(final String name, final Duration timeout) throws InterruptedException {
        awaitHealth(name, timeout, "RUNNING", h -> h.status() == 200 && h.body().startsWith("RUNNING"));
    }

    private void awaitHealth(final String name, final Duration timeout, final String what,
                             final java.util.function.Predicate<HealthAnswer> reached) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        HealthAnswer last = null;
        while (System.nanoTime() < deadline) {
            if (!byName.get(name).isAlive()) {
                throw new AssertionError("mailflow run " + name + " died: " + tail());
            }
            last = health(name);
            if (reached.test(last)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("mailflow run " + name + " not " + what + " within " + timeout + ": " + last + tail());
    }

    /** The last lines of every instance's log. */
    String tail() {
        final StringBuilder out = new StringBuilder();
        for (final String name : byName.keySet()) {
            final Path log = work.resolve("run-" + name + ".log");
            try {
                if (Files.exists(log)) {
                    final List<String> lines = Files.readAllLines(log);
                    out.append("\n--- run-").append(name).append(".log ---\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
                }
            } catch (final IOException e) {
                out.append("\n(cannot read ").append(log).append(": ").append(e).append(')');
            }
        }
        return out.toString();
    }

    /** Lines of instance {@code name}'s log that contain {@code text}. */
    List<String> logLines(final String name, final String text) throws IOException {
        final Path log = work.resolve("run-" + name + ".log");
        return Files.exists(log) ? Files.readAllLines(log).stream().filter(l -> l.contains(text)).toList() : List.of();
    }

    /**
     * Done by the embedded replay's rule ({@link CatchUp}): the group has committed every record of
     * the traces topic and of its repartition topics, and two polls a second apart, at least
     * {@link #QUIET} after the first caught-up one, show the same committed and end offsets (read
     * committed, output topics included). Under exactly-once a caught-up poll means every output
     * is written; only wall-clock work (the stats idle flush, which changes no output) may follow.
     * Fails when one of {@code alive} dies or {@code timeout} passes.
     */
    void awaitComplete(final MailflowConfig config, final Topics topics, final String group, final List<Process> alive,
                       final Duration timeout) throws Exception {
        final long deadline = System.nanoTime() + timeout.toNanos();
        final CatchUp catchUp = new CatchUp(QUIET);
        final String traces = topics.traces.name();
        final List<String> outputs = topics.all().stream().map(Topic::name).filter(n -> !n.equals(traces)).toList();
        CatchUp.Poll poll = null;
        int polls = 0;
        Exception lastError = null;
        try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
            while (System.nanoTime() < deadline) {
                for (final Process p : alive) {
                    if (!p.isAlive()) {
                        throw new AssertionError("mailflow run died: " + tail());
                    }
                }
                try {
                    final List<String> inputs = new ArrayList<>(List.of(traces));
                    admin.listTopics().names().get(10, TimeUnit.SECONDS).stream()
                        .filter(n -> n.startsWith(group + "-") && n.endsWith("-repartition")).sorted().forEach(inputs::add);
                    final Map<TopicPartition, Long> committed = new HashMap<>();
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
                        .forEach((tp, om) -> committed.put(tp, om == null ? -1 : om.offset()));
                    poll = new CatchUp.Poll(committed, endOffsets(admin, inputs), endOffsets(admin, outputs));
                    if (catchUp.complete(poll, System.nanoTime())) {
                        return;
                    }
                } catch (final Exception e) {
                    lastError = e; // broker still coming back
                }
                if (++polls % 30 == 0) {
                    System.out.printf("waiting for %s: %s (last error: %s)%n", group, poll, lastError);
                }
                Thread.sleep(1000);
            }
        }
        throw new AssertionError("the cluster did not finish within " + timeout + "; last poll " + poll + tail());
    }

    private static Map<TopicPartition, Long> endOffsets(final Admin admin, final List<String> topicNames) throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        admin.describeTopics(topicNames).allTopicNames().get(10, TimeUnit.SECONDS)
            .forEach((name, description) -> description.partitions()
                .forEach(p -> request.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
        final Map<TopicPartition, Long> ends = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
        admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(10, TimeUnit.SECONDS)
            .forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    /**
     * The outage scenario the cluster comparisons share (PartitionIndependenceIT, FaultsIT,
     * ReplicatedClusterIT): four generated hours from two Exchange servers, 19 connectors, four
     * outages of four codes (4.4.316, 4.4.315, 4.4.312, 4.7.320; two on one connector), about 21,000
     * trace records. Its reference is computed once per test JVM (see {@link #reference}).
     */
    static final String[] OUTAGES = {"generate", "--seed", "11", "--duration", "4h", "--format", "exchange",
        "--servers", "EX01,EX02", "--connectors", "internet:6,partner-contoso:4,partner-fabrikam:3,mailbox:6",
        "--outage", "partner-contoso:4.4.316:60m@+40m", "--outage", "partner-fabrikam:4.4.315:80m@+1h",
        "--outage", "internet:4.4.312:30m@+2h30m", "--outage", "partner-contoso:4.7.320:40m@+3h"};

    /**
     * Three generated hours of one Postfix server (mx1) with a 4.4.316 outage of partner-contoso
     * and 1 % permanent failures: the maillog of the rsyslog and secured-cluster tests.
     */
    static final String[] POSTFIX_OUTAGE = {"generate", "--format", "postfix", "--seed", "21", "--duration", "3h",
        "--servers", "mx1", "--connectors", "internet:6,partner-contoso:3,mailbox:4",
        "--outage", "partner-contoso:4.4.316:1h@+1h", "--permanent-rate", "0.01"};

    /** Generated logs and what the embedded one-partition replay made of them. */
    record Reference(Path logs, Map<String, Map<String, List<String>>> outputs) {
    }

    private static final Map<List<String>, Reference> REFERENCES = new HashMap<>();

    /** {@link #reference} of {@link #OUTAGES}. */
    static Reference sharedReference() throws Exception {
        return reference(OUTAGES);
    }

    /**
     * {@code scenario} generated under target/cluster-scenario and replayed on one partition, once
     * per JVM: every test that compares with the same scenario reuses both (the replay is the slow
     * part).
     */
    static synchronized Reference reference(final String... scenario) throws Exception {
        final List<String> key = List.of(scenario);
        Reference reference = REFERENCES.get(key);
        if (reference == null) {
            final Path dir = Path.of("target", "cluster-scenario", Integer.toString(REFERENCES.size())).toAbsolutePath();
            EmbeddedKafka.deleteRecursively(dir);
            // an existing directory: `generate --out` writes its files into it (a Postfix log too)
            final Path logs = generate(Files.createDirectories(dir.resolve("logs")), scenario);
            final long t0 = System.nanoTime();
            final Map<String, Map<String, List<String>>> outputs = embeddedReplay(logs, "reference-" + REFERENCES.size(), Duration.ofMinutes(5));
            System.out.printf("ClusterInstances: reference (one partition) of %s in %.1f s: %s%n", String.join(" ", scenario),
                (System.nanoTime() - t0) / 1e9, counts(outputs));
            reference = new Reference(logs, outputs);
            REFERENCES.put(key, reference);
        }
        return reference;
    }

    /** Every value of {@code topic} in {@code outputs}, as JSON (what `mailflow consume` prints), sorted. */
    static List<String> values(final Map<String, Map<String, List<String>>> outputs, final String topic) {
        return outputs.get(topic).values().stream().flatMap(List::stream).map(v -> v.substring(v.indexOf(' ') + 1)).sorted().toList();
    }

    /** Runs `mailflow generate` with {@code scenario} into {@code logs}; returns the directory. */
    static Path generate(final Path logs, final String... scenario) {
        final List<String> generate = new ArrayList<>(List.of(scenario));
        generate.addAll(List.of("--out", logs.toString(), "--quiet"));
        if (Mailflow.execute(generate.toArray(String[]::new)) != 0) {
            throw new AssertionError("mailflow " + String.join(" ", scenario) + " failed");
        }
        return logs;
    }

    /**
     * The reference the cluster is compared with: every output topic of the embedded one-partition
     * replay of {@code logs}, judged on event time alone (no wall-clock safety net).
     */
    static Map<String, Map<String, List<String>>> embeddedReplay(final Path logs, final String name, final Duration timeout)
            throws Exception {
        final MailflowConfig base = MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://" + name)
            .override("application.id", name)
            .override("mailflow.queue.wall-clock-safety-net", "false")
            .build();
        try (EmbeddedRuntime runtime = EmbeddedRuntime.start(base)) {
            KafkaReplay.replay(runtime.config(), runtime.topics(), List.of(logs), io.mailflow.ingest.ReplayOptions.defaults());
            runtime.awaitComplete(Duration.ofSeconds(3), timeout);
            return outputs(runtime.config().kafkaProperties(), runtime.topics());
        }
    }

    /** Broker settings that keep its two ports across a restart (EmbeddedKafka.start(ports[0], dir, these)). */
    static Map<String, String> fixedPorts(final int[] ports) {
        return Map.of(
            "controller.quorum.voters", "1@127.0.0.1:" + ports[1],
            "listeners", "PLAINTEXT://127.0.0.1:" + ports[0] + ",CONTROLLER://127.0.0.1:" + ports[1]);
    }

    /** Every output topic as key -> that key's values in topic order (JSON as `replay --out` writes them). */
    static Map<String, Map<String, List<String>>> outputs(final Map<String, Object> kafka, final Topics topics) {
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

    static Map<String, Integer> counts(final Map<String, Map<String, List<String>>> outputs) {
        final Map<String, Integer> counts = new LinkedHashMap<>();
        outputs.forEach((topic, byKey) -> counts.put(topic, byKey.values().stream().mapToInt(List::size).sum()));
        return counts;
    }

    /** Every record of {@code topic} (read_committed) by partition, in offset order. */
    static Map<Integer, List<ConsumerRecord<byte[], byte[]>>> readTopic(final String bootstrap, final String topic, final int partitions) {
        final Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString()),
            new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
                byPartition.put(p, new ArrayList<>());
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            final Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    byPartition.get(r.partition()).add(r);
                }
            }
        }
        return byPartition;
    }

    /**
     * Copies records to the same partition of {@code topic}: key, value, timestamp and headers, in
     * order, every one of them or an exception. Right after a broker restart an idempotent producer
     * can lose its sequence (seen in CI: NOT_LEADER_OR_FOLLOWER, then OUT_OF_ORDER_SEQUENCE_NUMBER
     * until the delivery timeout dropped 1,141 records, which the test then reported as an output
     * difference). So this reads the end offsets first (answered by each partition's leader only,
     * so it waits for the leaders), checks every send, and sends what was not written again, once
     * it has checked that the broker holds exactly the rest.
     */
    static void copy(final String bootstrap, final List<ConsumerRecord<byte[], byte[]>> records, final String topic) {
        List<ConsumerRecord<byte[], byte[]>> toSend = records;
        for (int attempt = 1; !toSend.isEmpty(); attempt++) {
            final Map<TopicPartition, Long> before = endOffsets(bootstrap, topic);
            final List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new ArrayList<>(toSend.size());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true"), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (final ConsumerRecord<byte[], byte[]> r : toSend) {
                    sent.add(producer.send(new ProducerRecord<>(topic, r.partition(), r.timestamp(), r.key(), r.value(), r.headers())));
                }
                producer.flush();
            }
            final List<ConsumerRecord<byte[], byte[]>> notWritten = new ArrayList<>();
            final java.util.Set<Integer> failedPartitions = new java.util.HashSet<>();
            final Map<Integer, Long> written = new HashMap<>();
            Throwable cause = null;
            for (int i = 0; i < toSend.size(); i++) {
                final int partition = toSend.get(i).partition();
                try {
                    sent.get(i).get();
                    if (failedPartitions.contains(partition)) {
                        throw new IllegalStateException("copying to " + topic + "-" + partition + ": a record was written after one that was not");
                    }
                    written.merge(partition, 1L, Long::sum);
                } catch (final java.util.concurrent.ExecutionException e) {
                    notWritten.add(toSend.get(i));
                    failedPartitions.add(partition);
                    cause = cause == null ? e.getCause() : cause;
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while copying to " + topic, e);
                }
            }
            if (notWritten.isEmpty()) {
                return;
            }
            final Map<TopicPartition, Long> after = endOffsets(bootstrap, topic);
            for (final Map.Entry<TopicPartition, Long> e : after.entrySet()) {
                final long appended = e.getValue() - before.getOrDefault(e.getKey(), 0L);
                final long acknowledged = written.getOrDefault(e.getKey().partition(), 0L);
                if (appended != acknowledged) {
                    throw new IllegalStateException("copying to " + e.getKey() + ": " + acknowledged
                        + " records acknowledged but " + appended + " appended; " + notWritten.size() + " not written because of: " + cause, cause);
                }
            }
            if (attempt == 3) {
                throw new IllegalStateException("copying to " + topic + ": " + notWritten.size() + " records still not written after "
                    + attempt + " attempts, because of: " + cause, cause);
            }
            System.out.printf("ClusterInstances: copying to %s: %d of %d records not written (%s); sending them again%n",
                topic, notWritten.size(), toSend.size(), cause);
            toSend = notWritten;
        }
    }

    /** {@link #endOffsets(Admin, List)} of one topic, on a connection of its own. */
    private static Map<TopicPartition, Long> endOffsets(final String bootstrap, final String topic) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            return endOffsets(admin, List.of(topic));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the end offsets of " + topic, e);
        } catch (final Exception e) {
            throw new IllegalStateException("cannot read the end offsets of " + topic, e);
        }
    }

    /**
     * Copies part {@code part} of {@code parts} of every staged partition (as {@link #readTopic}
     * returns them) to the same partition of {@code topic}.
     */
    static void copyPart(final String bootstrap, final Map<Integer, List<ConsumerRecord<byte[], byte[]>>> staged, final int part,
                         final int parts, final String topic) {
        for (final List<ConsumerRecord<byte[], byte[]>> records : staged.values()) {
            final int from = records.size() * part / parts;
            final int to = records.size() * (part + 1) / parts;
            copy(bootstrap, records.subList(from, to), topic);
        }
    }

    /**
     * Every output topic of {@code cluster} equals {@code reference} record for record (per key, in
     * order), and no trace was dead-lettered; prints the cluster's counts first.
     */
    static void assertSameAsReference(final String test, final Map<String, Map<String, List<String>>> reference,
                                      final Map<String, Map<String, List<String>>> cluster, final String when) {
        System.out.printf("%s: cluster %s: %s%n", test, when, counts(cluster));
        org.junit.jupiter.api.Assertions.assertEquals(Map.of(), cluster.get("mailflow.dead-letters"), "no trace dead-lettered " + when);
        for (final String topic : reference.keySet()) {
            org.junit.jupiter.api.Assertions.assertEquals(reference.get(topic), cluster.get(topic),
                topic + " " + when + ": the cluster's records per key differ from the reference");
        }
    }

    /** What an admin call returns about a topic. */
    interface TopicCall<T> {
        T call() throws Exception;
    }

    /**
     * The answer of an admin call about a topic just created, once the broker asked knows it:
     * createTopics returns when the controllers committed the topic, and a broker may learn of it a
     * moment later (seen in CI: UnknownTopicOrPartitionException right after the create).
     */
    static <T> T onceTopicKnown(final TopicCall<T> call) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                return call.call();
            } catch (final java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** SIGKILL for every instance still running. */
    @Override
    public void close() throws InterruptedException {
        for (final Process p : started) {
            p.destroyForcibly().waitFor();
        }
        started.clear();
    }
}
