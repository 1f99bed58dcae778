package io.mailflow.app;

import io.mailflow.config.Durations;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.AvroJson;
import io.mailflow.emit.Topic;
import io.mailflow.emit.TopicReader;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mailflow on a laptop: a real embedded broker, the {@code mock://} registry, the topics and the
 * analyzer in this process. Used by {@code demo} and {@code replay --embedded}.
 *
 * <p><b>Complete</b> means: every trace record produced has been consumed and committed by the
 * analyzer (its committed offsets on the traces topic equal the end offsets), and after that
 * nothing moves for a quiet period: no committed offset of the analyzer's group (traces and its
 * repartition topics) and no end offset of an output topic changes. Stream time then stands at
 * the last input event, every punctuation due by then has fired, and the outputs are final.
 */
public final class EmbeddedRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRuntime.class);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    /** How long writing an output file may wait for its topic's end offsets. */
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(2);
    static final String PARTITION_IDLE = "mailflow.detect.partition-idle";
    static final Duration EMBEDDED_PARTITION_IDLE = Duration.ofSeconds(5);
    static final String PRODUCER_IN_FLIGHT = "producer.max.in.flight.requests.per.connection";

    private final Path kafkaDir;
    private final Path stateDir;
    private final MailflowConfig base;
    private volatile EmbeddedKafka kafka;
    private volatile MailflowConfig config;
    private volatile Topics topics;
    private volatile Analyzer analyzer;
    private volatile Admin admin;
    private boolean closed;

    private EmbeddedRuntime(final MailflowConfig base, final Path kafkaDir, final Path stateDir) {
        this.base = base;
        this.kafkaDir = kafkaDir;
        this.stateDir = stateDir;
    }

    /** Starts broker, topics and analyzer; the given config's bootstrap servers and registry are replaced. */
    public static EmbeddedRuntime start(final MailflowConfig base) throws InterruptedException {
        final EmbeddedRuntime runtime = prepare(base);
        try {
            return runtime.start();
        } catch (final RuntimeException | InterruptedException e) {
            runtime.close();
            throw e;
        }
    }

    /**
     * Creates the broker's and the state's temporary directories ({@code mailflow-kafka-*},
     * {@code mailflow-state-*}) and nothing else. {@link #close()} deletes them whatever happened in
     * between, so a command can hand the runtime to its Ctrl-C handler before the slow start.
     */
    public static EmbeddedRuntime prepare(final MailflowConfig base) {
        try {
            final Path kafkaDir = Files.createTempDirectory("mailflow-kafka-");
            final Path stateDir = Files.createTempDirectory("mailflow-state-");
            return new EmbeddedRuntime(base, kafkaDir, stateDir);
        } catch (final IOException e) {
            throw new IllegalStateException("Cannot create the embedded runtime's temporary directories", e);
        }
    }

    /** Starts what {@link #prepare} did not: the broker, the topics and the analyzer. */
    public EmbeddedRuntime start() throws InterruptedException {
        kafka = EmbeddedKafka.start(0, kafkaDir, Map.of());
        MailflowConfig c = embeddedDefaults(base)
            .with("bootstrap.servers", kafka.bootstrapServers())
            .with("state.dir", stateDir.toString());
        if (!base.get("schema.registry.url", "").startsWith("mock://")) {
            c = c.with("schema.registry.url", "mock://embedded");
        }
        config = c;
        topics = new Topics(c);
        admin = Admin.create(Map.copyOf(c.kafkaProperties()));
        TopicAdmin.ensure(admin, TopicAdmin.specs(c), false);
        analyzer = new Analyzer(c);
        analyzer.start();
        if (!analyzer.awaitRunning(Duration.ofSeconds(60))) {
            throw new IllegalStateException("The analyzer did not reach RUNNING (state " + analyzer.state() + ")");
        }
        LOG.info("Embedded mailflow running on {}", kafka.bootstrapServers());
        return this;
    }

    /**
     * Settings that make a laptop investigation deterministic and quick to finish, unless the user
     * set them: one partition per topic (one task per stage processes the whole timeline in order,
     * so two replays of the same input give byte-identical output; a laptop has one stream thread
     * anyway), and a short partition-idle time, so connector-keyed stages close their last windows
     * and resolve their last episodes a few seconds after the input ends instead of a minute.
     */
    static MailflowConfig embeddedDefaults(final MailflowConfig base) {
        MailflowConfig config = base;
        if (!userSet(base, "mailflow.topic.partitions")) {
            config = config.with("mailflow.topic.partitions", "1");
        }
        // Retention runs on record timestamps, i.e. on the event times of the replayed logs: with a
        // time limit the broker would delete last month's traces minutes after the replay wrote them.
        if (!userSet(base, "mailflow.topic.retention")) {
            config = config.with("mailflow.topic.retention", "infinite");
        }
        if (!userSet(base, PARTITION_IDLE)) {
            config = config.with(PARTITION_IDLE, EMBEDDED_PARTITION_IDLE.toSeconds() + "s");
        }
        // One produce request at a time from the analyzer's producer: with transactions v2 a
        // partition's first request in a transaction can be refused (CONCURRENT_TRANSACTIONS) while
        // a request pipelined behind it passes, and the broker then rejects that one as out of order
        // (KAFKA-18202) and logs an ERROR for each, although both are retried and nothing is lost.
        // With nothing pipelined there is nothing to overtake. See docs/architecture.md, "Log lines
        // you may see"; the cost: one produce round trip at a time instead of up to five.
        if (!userSet(base, PRODUCER_IN_FLIGHT) && !userSet(base, "max.in.flight.requests.per.connection")) {
            config = config.with(PRODUCER_IN_FLIGHT, "1");
        }
        return config;
    }

    /** Set by the user (file, environment, flag), not just present as a built-in default. */
    private static boolean userSet(final MailflowConfig config, final String key) {
        return config.get(key) != null && config.sourceOf(key) != null && config.sourceOf(key) != MailflowConfig.Source.DEFAULT;
    }

    public MailflowConfig config() {
        return config;
    }

    public Topics topics() {
        return topics;
    }

    public org.apache.kafka.streams.KafkaStreams.State analyzerState() {
        return analyzer.state();
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** Waits until the analyzer's output is complete (see class doc). */
    public void awaitComplete(final Duration requestedQuiet, final Duration timeout) throws Exception {
        awaitComplete(requestedQuiet, timeout, AnalyzerProgress.NONE);
    }

    /** Waits until the analyzer's output is complete (see class doc), telling {@code progress} what it waits for at every poll. */
    public void awaitComplete(final Duration requestedQuiet, final Duration timeout, final AnalyzerProgress progress) throws Exception {
        try {
            settle(requestedQuiet, timeout, progress);
        } finally {
            progress.done();
        }
    }

    private void settle(final Duration requestedQuiet, final Duration timeout, final AnalyzerProgress progress) throws Exception {
        final long started = System.nanoTime();
        // Connector-keyed stages close their last windows only once the input partitions have been
        // silent for partition-idle: the quiet period must outlast it, or we would stop too early.
        final Duration idle = config.getDuration(PARTITION_IDLE, EMBEDDED_PARTITION_IDLE);
        final Duration quietPeriod = requestedQuiet.compareTo(idle.plusSeconds(2)) > 0 ? requestedQuiet : idle.plusSeconds(2);
        final String group = config.get("application.id");
        final long deadline = System.nanoTime() + timeout.toNanos();
        Map<TopicPartition, Long> last = Map.of();
        long stableSince = -1;
        while (System.nanoTime() < deadline) {
            if (analyzer.state() == org.apache.kafka.streams.KafkaStreams.State.ERROR) {
                throw new IllegalStateException("The analyzer failed; see the log above");
            }
            final Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            final Map<TopicPartition, Long> tracesEnd = endOffsets(partitions(topics.traces.name()));
            final boolean tracesDone = tracesEnd.entrySet().stream().allMatch(e -> e.getValue() == 0
                || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue()));
            final Map<TopicPartition, Long> snapshot = new HashMap<>();
            committed.forEach((tp, om) -> snapshot.put(tp, om == null ? -1 : om.offset()));
            for (final Topic<String, ? extends SpecificRecord> t : topics.all()) {
                endOffsets(partitions(t.name())).forEach((tp, end) -> snapshot.put(new TopicPartition("end:" + tp.topic(), tp.partition()), end));
            }
            final long now = System.nanoTime();
            if (tracesDone && snapshot.equals(last)) {
                if (stableSince < 0) {
                    stableSince = now;
                } else if (now - stableSince >= quietPeriod.toNanos()) {
                    return;
                }
            } else {
                stableSince = -1;
            }
            progress.waiting(new AnalyzerProgress.Status(
                tracesEnd.entrySet().stream().mapToLong(e -> Math.min(e.getValue(),
                    committed.get(e.getKey()) == null ? 0 : committed.get(e.getKey()).offset())).sum(),
                tracesEnd.values().stream().mapToLong(Long::longValue).sum(),
                snapshot.entrySet().stream().filter(e -> e.getKey().topic().startsWith("end:")
                    && !e.getKey().topic().equals("end:" + topics.traces.name())).mapToLong(Map.Entry::getValue).sum(),
                stableSince < 0 ? Duration.ZERO : Duration.ofNanos(now - stableSince), quietPeriod,
                Duration.ofNanos(now - started)));
            last = snapshot;
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
        throw new IllegalStateException("The analyzer's output did not settle within " + Durations.humanize(timeout));
    }

    /**
     * Writes each topic to {@code DIR/<topic>.jsonl}: one JSON object per line, field names as in
     * the Avro schemas, timestamps ISO-8601 UTC. Lines are ordered by record timestamp, then key,
     * then content, so the same input always gives byte-identical files.
     */
    public Map<String, Path> writeTopics(final Path dir, final List<Topic<String, ? extends SpecificRecord>> which) throws IOException {
        Files.createDirectories(dir);
        final Map<String, Path> written = new LinkedHashMap<>();
        for (final Topic<String, ? extends SpecificRecord> topic : which) {
            final List<Line> lines = readAll(topic);
            lines.sort(Comparator.comparingLong(Line::timestamp).thenComparing(Line::key).thenComparing(Line::json));
            final Path file = dir.resolve(topic.name() + ".jsonl");
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (final Line line : lines) {
                    out.write(line.json());
                    out.write('\n');
                }
            }
            written.put(topic.name(), file);
        }
        return written;
    }

    /** Every record of the topic, read committed, decoded with the topic's serde. */
    public <V extends SpecificRecord> List<ConsumerRecord<String, V>> read(final Topic<String, V> topic) {
        return TopicReader.readToEnd(config.kafkaProperties(), topic, READ_TIMEOUT);
    }

    private List<Line> readAll(final Topic<String, ? extends SpecificRecord> topic) {
        return read(topic).stream()
            .map(r -> new Line(r.timestamp(), r.key() == null ? "" : r.key(),
                AvroJson.toJson((org.apache.avro.generic.IndexedRecord) r.value())))
            .collect(Collectors.toCollection(ArrayList::new));
    }

    private Set<TopicPartition> partitions(final String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions().stream()
            .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toSet());
    }

    private Map<TopicPartition, Long> endOffsets(final Set<TopicPartition> tps) throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        tps.forEach(tp -> request.put(tp, OffsetSpec.latest()));
        final Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result = admin.listOffsets(request,
            new org.apache.kafka.clients.admin.ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(10, TimeUnit.SECONDS);
        final Map<TopicPartition, Long> out = new HashMap<>();
        result.forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    private record Line(long timestamp, String key, String json) {
    }

    /**
     * Stops the analyzer and the broker and deletes the temporary directories, whatever part of
     * {@link #start()} ran. Safe to call twice and from two threads (the command's own close and a
     * Ctrl-C handler): the second caller waits for the first and then does nothing.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (analyzer != null) {
                analyzer.close(Duration.ofSeconds(30));
            }
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
            if (kafka != null) {
                kafka.close();
            }
        } finally {
            EmbeddedKafka.deleteRecursively(kafkaDir);
            EmbeddedKafka.deleteRecursively(stateDir);
        }
    }
}
