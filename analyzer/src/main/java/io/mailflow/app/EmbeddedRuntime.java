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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mailflow on a laptop: a real embedded broker, the {@code mock://} registry, the topics and the
 * analyzer in this process. Used by {@code demo} and {@code replay --embedded}.
 *
 * <p><b>Start-up.</b> The broker starts on a thread of its own while this one builds the topology,
 * registers its schemas and creates the Kafka Streams client (none of which needs the broker: the
 * traces topic's partition count is the embedded one). Then every topic is created in one round,
 * the analyzer's internal ones (changelogs, repartition topics) included, so the analyzer's first
 * rebalance finds them all and no second rebalance follows. {@link #launch()} returns once the
 * analyzer is started, so the replay can produce while it joins its group and restores its
 * (empty) state; {@link #start()} also waits until it is RUNNING.
 *
 * <p><b>Complete</b> means the analyzer has caught up, decided by {@link CatchUp} from polls of the
 * broker every {@link #POLL_INTERVAL}: the committed offsets of its group equal the end offsets
 * of the traces topic and of every repartition topic, and two polls in a row show the same offsets
 * everywhere (the output topics have stopped growing). No fixed wait: an extra quiet period can be
 * asked for, by default none. Stream time then stands at the last input event (the replay ends
 * every traces partition with a progress marker at the last event time, see
 * {@link io.mailflow.ingest.KafkaTraceSink}), every punctuation due by then has fired, and the
 * outputs are final.
 */
public final class EmbeddedRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRuntime.class);
    static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    /** How long writing an output file may wait for its topic's end offsets. */
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(2);
    static final String PARTITION_IDLE = "mailflow.detect.partition-idle";
    static final Duration EMBEDDED_PARTITION_IDLE = Duration.ofSeconds(5);
    /** How long the analyzer may take from its start to RUNNING (joining its group, restoring its state). */
    private static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(60);
    static final String SOURCE_PARTITIONS = "mailflow.detect.source-partitions";
    static final String PRODUCER_IN_FLIGHT = "producer.max.in.flight.requests.per.connection";
    static final String RESTORE_FETCH_WAIT = "restore.consumer.fetch.max.wait.ms";
    /** How long a fresh embedded broker may take to lead the partitions of the topics just created. */
    private static final Duration AWAIT_LEADERS = Duration.ofSeconds(30);

    private final Path kafkaDir;
    private final Path stateDir;
    private final MailflowConfig base;
    private volatile EmbeddedKafka kafka;
    /** The broker's start on its own thread, so that a Ctrl-C during it can wait for it and stop it. */
    private volatile FutureTask<EmbeddedKafka> brokerStart;
    private volatile MailflowConfig config;
    private volatile Topics topics;
    private volatile Analyzer analyzer;
    private volatile Admin admin;
    private volatile boolean complete;
    private volatile long launchedAt;
    private final Map<String, List<? extends ConsumerRecord<String, ?>>> readOnce = new java.util.concurrent.ConcurrentHashMap<>();
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

    /** Starts what {@link #prepare} did not: the broker, the topics and the analyzer, and waits until the analyzer runs. */
    public EmbeddedRuntime start() throws InterruptedException {
        launch();
        if (!analyzer.awaitRunning(RUNNING_TIMEOUT)) {
            throw new IllegalStateException("The analyzer did not reach RUNNING (state " + analyzer.state() + ")");
        }
        LOG.info("Embedded mailflow running on {}", kafka.bootstrapServers());
        return this;
    }

    /**
     * Starts the broker, the topics and the analyzer, and returns as soon as the analyzer is
     * started, before it has joined its group and restored its state: records produced from now on
     * are analysed once it runs. {@link #awaitComplete} fails if the analyzer fails meanwhile.
     */
    public EmbeddedRuntime launch() throws InterruptedException {
        final long t0 = System.nanoTime();
        launchedAt = t0;
        final int port;
        try {
            port = EmbeddedKafka.freePorts(1)[0];
        } catch (final IOException e) {
            throw new IllegalStateException("Cannot find a free port for the embedded broker", e);
        }
        final FutureTask<EmbeddedKafka> broker = new FutureTask<>(() -> EmbeddedKafka.start(port, kafkaDir, Map.of()));
        final Thread brokerThread = new Thread(broker, "mailflow-embedded-broker-start");
        brokerThread.setDaemon(true);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("The embedded runtime was closed before it started");
            }
            brokerStart = broker; // from now on close() waits for this start and stops the broker
            brokerThread.start();
        }
        try {
            // Under this runtime's lock: a Ctrl-C handler's close() waits until the analyzer, which
            // writes into the state directory as it is made, exists and can be closed before the
            // directories are deleted.
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("The embedded runtime was closed while it started");
                }
                MailflowConfig c = embeddedDefaults(base)
                    .with("bootstrap.servers", "127.0.0.1:" + port)
                    .with("state.dir", stateDir.toString());
                if (!base.get("schema.registry.url", "").startsWith("mock://")) {
                    c = c.with("schema.registry.url", "mock://embedded");
                }
                // the traces topic is created below with this many partitions: no need to ask the broker
                if (!userSet(base, SOURCE_PARTITIONS)) {
                    c = c.with(SOURCE_PARTITIONS, c.require("mailflow.topic.partitions").trim());
                }
                config = c;
                topics = new Topics(c);
                analyzer = new Analyzer(c);
            }
        } catch (final RuntimeException | InterruptedException e) {
            kafka = joinQuietly(broker);
            throw e;
        }
        keepBroker(join(broker));
        final long brokerReady = System.nanoTime();
        admin = Admin.create(Map.copyOf(config.kafkaProperties()));
        final int internal = createTopics();
        analyzer.start();
        LOG.debug("Embedded runtime launched in {} ms (broker ready after {} ms; {} internal topics created up front)",
            Duration.ofNanos(System.nanoTime() - t0).toMillis(), Duration.ofNanos(brokerReady - t0).toMillis(), internal);
        return this;
    }

    /**
     * mailflow's topics and, where it can tell them ({@link InternalTopics}), the analyzer's
     * internal ones, in one request to the fresh broker; returns how many internal ones.
     */
    private int createTopics() throws InterruptedException {
        final List<NewTopic> create = new ArrayList<>();
        final Map<String, Integer> partitions = new HashMap<>();
        for (final TopicAdmin.TopicSpec spec : TopicAdmin.specs(config)) {
            partitions.put(spec.name(), spec.partitions());
            create.add(new NewTopic(spec.name(), Optional.of(spec.partitions()),
                spec.replicationFactor() < 0 ? Optional.empty() : Optional.of(spec.replicationFactor())).configs(spec.configs()));
        }
        final List<NewTopic> internal = InternalTopics.of(analyzer.topology(), analyzer.properties(),
            config.getInt("mailflow.topic.partitions", 1), partitions);
        create.addAll(internal);
        for (final Map.Entry<String, KafkaFuture<Void>> created : admin.createTopics(create).values().entrySet()) {
            try {
                created.getValue().get(30, TimeUnit.SECONDS);
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("Cannot create topic " + created.getKey() + ": " + e.getCause().getMessage(), e.getCause());
                }
            } catch (final java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("The embedded broker did not create " + created.getKey() + " within 30 s", e);
            }
        }
        awaitLeaders(create);
        return internal.size();
    }

    /**
     * Returns once the broker leads every partition just created. createTopics returns when the
     * controller has committed the topics, and the broker takes them up a moment later: a producer
     * sending in between gets NOT_LEADER_OR_FOLLOWER and logs a WARN for each (seen in
     * HealthyRunLogIT once runs had two partitions). Only a partition's leader answers ListOffsets,
     * and the admin client retries it until the leader does, but only for a topic the broker's
     * metadata already knows: an unknown topic fails ListOffsets at once, with an ERROR from the
     * admin client per topic (a replay failed so in CI). So first wait until the metadata names
     * every topic with a leader for each partition.
     */
    private void awaitLeaders(final List<NewTopic> created) throws InterruptedException {
        final Map<String, Integer> partitionsByTopic = new HashMap<>();
        for (final NewTopic topic : created) {
            partitionsByTopic.put(topic.name(), topic.numPartitions());
        }
        awaitLeaders(admin, partitionsByTopic, AWAIT_LEADERS);
    }

    /** Waits until {@code admin}'s broker leads every partition of these topics (see above); fails after {@code timeout}. */
    static void awaitLeaders(final Admin admin, final Map<String, Integer> partitionsByTopic, final Duration timeout)
        throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        final String failure = "The embedded broker did not take up the new topics' partitions within " + timeout.toSeconds() + " s";
        while (!metadataLeadsAll(admin, partitionsByTopic, deadline)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(failure + " (its metadata does not name them all yet)");
            }
            Thread.sleep(10);
        }
        final Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        partitionsByTopic.forEach((topic, count) -> {
            for (int p = 0; p < count; p++) {
                partitions.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
        });
        try {
            admin.listOffsets(partitions).all().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (final ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(failure, e);
        }
    }

    /** Whether the broker's metadata names every topic, with its partitions and a leader for each. */
    private static boolean metadataLeadsAll(final Admin admin, final Map<String, Integer> partitionsByTopic, final long deadline)
        throws InterruptedException {
        final Map<String, TopicDescription> described;
        try {
            described = admin.describeTopics(partitionsByTopic.keySet()).allTopicNames()
                .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return false;
            }
            throw new IllegalStateException("Cannot describe the topics just created: " + e.getCause().getMessage(), e.getCause());
        } catch (final java.util.concurrent.TimeoutException e) {
            return false;
        }
        for (final Map.Entry<String, Integer> topic : partitionsByTopic.entrySet()) {
            final TopicDescription d = described.get(topic.getKey());
            if (d == null || d.partitions().size() < topic.getValue()
                || d.partitions().stream().anyMatch(p -> p.leader() == null || p.leader().isEmpty())) {
                return false;
            }
        }
        return true;
    }

    private static EmbeddedKafka join(final FutureTask<EmbeddedKafka> broker) throws InterruptedException {
        try {
            return broker.get();
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("Cannot start the embedded Kafka broker", e.getCause());
        }
    }

    /** The broker, once its start has ended either way; null if it failed. For the clean-up after another failure. */
    private static EmbeddedKafka joinQuietly(final FutureTask<EmbeddedKafka> broker) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return broker.get();
                } catch (final InterruptedException e) {
                    interrupted = true;
                } catch (final ExecutionException e) {
                    return null;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Partitions and stream threads of an embedded run: 2 where there are 2 cores or more (the
     * 116 k-line replay took 14.6-20.0 s against 15.8-23.5 s with one, on 2 cores), 1 on one core.
     * More than 2 was not measured (the development machine has 2 cores).
     */
    static int parallelism() {
        return Math.min(2, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Settings that make a laptop investigation quick to finish, unless the user set them: as many
     * partitions per topic as {@link #parallelism}, so as many stream threads by StreamsSettings'
     * default (the outputs do not depend on the partitioning: docs/architecture.md, "Same input,
     * same output"; the files are written in a canonical order), and a short partition-idle time, so connector-keyed stages close their last
     * windows and resolve their last episodes a few seconds after the input ends instead of a
     * minute; one produce request in flight, and no broker-side wait when restoring empty changelogs.
     */
    static MailflowConfig embeddedDefaults(final MailflowConfig base) {
        MailflowConfig config = base;
        if (!userSet(base, "mailflow.topic.partitions")) {
            config = config.with("mailflow.topic.partitions", Integer.toString(parallelism()));
        }
        // no thread count here: StreamsSettings' default gives a thread per partition on these cores;
        // with one thread the per-message stage ran on one core while the other idled ("Eighth cut")
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
        // The restore consumer's fetch of an empty changelog waits fetch.max.wait.ms (500 ms) at the
        // broker for data that never comes, and the state updater restores a fresh run's tasks in
        // rounds, each behind such a wait: 1.7 s of a 9-line file's start-up, 0.4-0.7 s at 10 ms
        // (docs/benchmarks.md, "Third cut"). A fetch with data returns at once either way; one
        // embedded instance has no standbys whose idle changelogs this would poll often.
        if (!userSet(base, RESTORE_FETCH_WAIT) && !userSet(base, "fetch.max.wait.ms")) {
            config = config.with(RESTORE_FETCH_WAIT, "10");
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

    /** Waits until the analyzer's output is complete (see class doc), then {@code extraQuiet} more of nothing moving. */
    public void awaitComplete(final Duration extraQuiet, final Duration timeout) throws Exception {
        awaitComplete(extraQuiet, timeout, AnalyzerProgress.NONE);
    }

    /** Waits until the analyzer's output is complete (see class doc), telling {@code progress} how far it is at every poll. */
    public void awaitComplete(final Duration extraQuiet, final Duration timeout, final AnalyzerProgress progress) throws Exception {
        try {
            settle(extraQuiet, timeout, progress);
            complete = true;
        } finally {
            progress.done();
        }
    }

    private void settle(final Duration extraQuiet, final Duration timeout, final AnalyzerProgress progress) throws Exception {
        final long started = System.nanoTime();
        final String traces = topics.traces.name();
        final GroupOffsets offsets = new GroupOffsets(admin, config.get("application.id"), traces);
        final Set<TopicPartition> outputs = new HashSet<>();
        for (final Topic<String, ? extends SpecificRecord> t : topics.all()) {
            if (!t.name().equals(traces)) {
                outputs.addAll(offsets.partitions(t.name()));
            }
        }
        final CatchUp catchUp = new CatchUp(extraQuiet);
        final long deadline = started + timeout.toNanos();
        Set<TopicPartition> inputs = null;
        boolean sawRunning = false;
        long firstAnalysed = -1;
        long firstAt = 0;
        while (System.nanoTime() < deadline) {
            final org.apache.kafka.streams.KafkaStreams.State state = analyzer.state();
            if (state == org.apache.kafka.streams.KafkaStreams.State.ERROR
                || state == org.apache.kafka.streams.KafkaStreams.State.PENDING_ERROR
                || state == org.apache.kafka.streams.KafkaStreams.State.NOT_RUNNING
                || state == org.apache.kafka.streams.KafkaStreams.State.PENDING_SHUTDOWN) {
                throw new IllegalStateException("The analyzer failed (state " + state + "); see the log above");
            }
            if (state != org.apache.kafka.streams.KafkaStreams.State.RUNNING && !sawRunning
                && System.nanoTime() - launchedAt > RUNNING_TIMEOUT.toNanos()) {
                throw new IllegalStateException("The analyzer did not reach RUNNING within "
                    + Durations.humanize(RUNNING_TIMEOUT) + " of its start (state " + state + ")");
            }
            if (state != org.apache.kafka.streams.KafkaStreams.State.RUNNING && !sawRunning) {
                // Not yet: the analyzer's consumer is looking up its group coordinator, whose first
                // lookup creates __consumer_offsets; a second lookup at the same moment makes the
                // broker warn that it could not create the topic because it exists.
                progress.waiting(new AnalyzerProgress.Status(0, offsets.endOffsets(offsets.partitions(traces)).values().stream()
                    .mapToLong(Long::longValue).sum(), 0, 0, Duration.ofNanos(System.nanoTime() - started)));
                Thread.sleep(POLL_INTERVAL.toMillis());
                continue;
            }
            if (state == org.apache.kafka.streams.KafkaStreams.State.RUNNING) {
                sawRunning = true;
            }
            if (inputs == null || state != org.apache.kafka.streams.KafkaStreams.State.RUNNING) {
                // the repartition topics are there from the start when created up front, else once the first rebalance made them
                inputs = offsets.inputPartitions();
            }
            final CatchUp.Poll poll = offsets.poll(inputs, outputs);
            final long now = System.nanoTime();
            if (catchUp.complete(poll, now)) {
                LOG.debug("The analyzer caught up {} ms after the wait began: {}", Duration.ofNanos(now - started).toMillis(), poll);
                return;
            }
            final long analysed = poll.committedOf(traces);
            if (firstAnalysed < 0 && analysed > 0) {
                firstAnalysed = analysed;
                firstAt = now;
            }
            final double perSecond = firstAnalysed < 0 || now - firstAt < 500_000_000L ? 0
                : (analysed - firstAnalysed) * 1e9 / (now - firstAt);
            progress.waiting(new AnalyzerProgress.Status(analysed, poll.endOf(traces), poll.outputRecords(), perSecond,
                Duration.ofNanos(now - started)));
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
        throw new IllegalStateException("The analyzer did not catch up within " + Durations.humanize(timeout));
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
    @SuppressWarnings("unchecked")
    public <V extends SpecificRecord> List<ConsumerRecord<String, V>> read(final Topic<String, V> topic) {
        if (!complete) {
            return TopicReader.readToEnd(config.kafkaProperties(), topic, READ_TIMEOUT);
        }
        // once complete the topics do not change: the tables printed and the files written read each once
        return (List<ConsumerRecord<String, V>>) (List<?>) readOnce.computeIfAbsent(topic.name(),
            name -> List.copyOf(TopicReader.readToEnd(config.kafkaProperties(), topic, READ_TIMEOUT)));
    }

    private List<Line> readAll(final Topic<String, ? extends SpecificRecord> topic) {
        return read(topic).stream()
            .map(r -> new Line(r.timestamp(), r.key() == null ? "" : r.key(),
                AvroJson.toJson((org.apache.avro.generic.IndexedRecord) r.value())))
            .collect(Collectors.toCollection(ArrayList::new));
    }

    private record Line(long timestamp, String key, String json) {
    }

    /**
     * Stops the analyzer and the broker and deletes the temporary directories, whatever part of
     * {@link #launch()} ran. Safe to call twice and from two threads (the command's own close and a
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
            // A broker still starting (Ctrl-C during launch) would go on writing its log directory
            // after the deletion below: wait for its start to end, then stop it.
            final EmbeddedKafka broker = kafka != null ? kafka : brokerStart != null ? joinQuietly(brokerStart) : null;
            if (broker != null) {
                broker.close();
            }
        } finally {
            deleteDirectories();
        }
    }

    /**
     * Hands the started broker over to this runtime, unless {@link #close()} ran meanwhile (Ctrl-C
     * during the start): close() then waited for this start and stopped the broker itself.
     */
    private synchronized void keepBroker(final EmbeddedKafka started) {
        if (closed) {
            throw new IllegalStateException("The embedded runtime was closed while its broker started");
        }
        kafka = started;
    }

    private void deleteDirectories() {
        EmbeddedKafka.deleteRecursively(kafkaDir);
        EmbeddedKafka.deleteRecursively(stateDir);
    }
}
