package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.follow.FileFollower;
import io.mailflow.ingest.follow.FollowPositions;
import io.mailflow.ingest.follow.FollowSpec;
import io.mailflow.ingest.follow.FollowedLine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mailflow ship}: follows the logs of a running mail server ({@link FileFollower}), parses
 * each new line with the replay's parsers ({@link LiveParser}) and sends the records to the traces
 * and dead-letter topics, exactly once.
 *
 * <p><b>Exactly once.</b> Each batch of lines goes out in one Kafka transaction together with a
 * {@link ShipCheckpoint} (the position in every file after the batch) to the compacted positions
 * topic, keyed by the shipper's name. Either both are committed or neither. A (re)started shipper
 * first calls {@code initTransactions()}, which fences any older incarnation and ends the
 * transaction it left open, then reads its last committed checkpoint (read_committed) and goes
 * on from there: a line is never sent twice nor skipped, whatever moment a SIGKILL hit. The
 * same happens after any Kafka error: the transaction is abandoned, the producer is made anew and
 * the shipper resumes from the checkpoint Kafka holds. The state file is written after each commit
 * for operators and as a fallback; the higher sequence number wins.
 *
 * <p><b>Context after a restart.</b> The files are read again from their start and the lines up
 * to the checkpoint are parsed as context only ({@link LiveParser}): the Postfix queue context and
 * each Exchange file's header come back as they were, nothing is sent again.
 *
 * <p><b>Kafka unavailable.</b> Lines are not read on while a batch cannot be committed: the shipper
 * retries with a back-off (1 s doubling to 1 min) from its last checkpoint, and the log files
 * themselves are the buffer.
 */
public final class LogShipper {
    private static final Logger LOG = LoggerFactory.getLogger(LogShipper.class);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);
    /** A commit that takes longer than this makes /health say so. */
    private static final Duration STALLED = Duration.ofSeconds(10);

    /** What to follow and how. */
    public record Settings(String name, List<FollowSpec> follow, ReplayOptions parsing, Path stateFile,
                           Duration pollInterval, int maxBatchLines) {
    }

    private final Settings settings;
    private final Topics topics;
    private final Serializer<MessageTrace> traceValues;
    private final Serializer<DeadLetter> deadLetterValues;
    private final String positionsTopic;
    private final Map<String, Object> kafka;
    private final Counter linesRead;
    private final Counter recordsSent;
    private final Counter deadLetters;
    private final Counter skipped;
    private final Counter transactions;
    private final Counter kafkaErrors;
    private final AtomicLong lastEventTime = new AtomicLong(-1);
    private final Map<Path, Long> lagBytes = new ConcurrentHashMap<>();
    /** Lag per followed file; the files followed are few (the live ones and their rotations). */
    private final MultiGauge fileLag;
    private final AtomicReference<String> problem = new AtomicReference<>("STARTING");
    private volatile ShipCheckpoint committed;
    /** System.nanoTime() when the commit under way began; 0 when none is. */
    private volatile long commitSince;

    public LogShipper(final Settings settings, final Topics topics, final String positionsTopic,
                      final Map<String, Object> kafkaProperties, final MeterRegistry registry) {
        this.settings = settings;
        this.topics = topics;
        this.traceValues = topics.traces.valueSerde().serializer();
        this.deadLetterValues = topics.deadLetters.valueSerde().serializer();
        this.positionsTopic = positionsTopic;
        this.kafka = Map.copyOf(kafkaProperties);
        this.linesRead = Counter.builder("mailflow_ship_lines_read").description("New log lines read (context lines after a restart not counted)").register(registry);
        this.recordsSent = Counter.builder("mailflow_ship_records_sent").description("Trace records committed to the traces topic").register(registry);
        this.deadLetters = Counter.builder("mailflow_ship_dead_letters").description("Unreadable lines committed to the dead-letter topic").register(registry);
        this.skipped = Counter.builder("mailflow_ship_lines_skipped").description("Lines that are valid input but no trace event").register(registry);
        this.transactions = Counter.builder("mailflow_ship_transactions").description("Kafka transactions committed").register(registry);
        this.kafkaErrors = Counter.builder("mailflow_ship_kafka_errors").description("Batches abandoned for a Kafka error and retried from the last checkpoint").register(registry);
        Gauge.builder("mailflow_ship_last_event_time_seconds", lastEventTime, t -> t.get() < 0 ? Double.NaN : t.get() / 1000.0)
            .description("Event time of the last record committed").register(registry);
        Gauge.builder("mailflow_ship_lag_bytes", lagBytes, m -> m.values().stream().mapToLong(Long::longValue).sum())
            .description("Bytes written to the followed files and not yet shipped, all files together").register(registry);
        Gauge.builder("mailflow_ship_files", lagBytes, Map::size).description("Files followed").register(registry);
        this.fileLag = MultiGauge.builder("mailflow_ship_file_lag_bytes")
            .description("Bytes written to a followed file and not yet shipped").register(registry);
    }

    /** "RUNNING", or what is wrong (for {@code /health}: 200 only while RUNNING). */
    public String health() {
        final String p = problem.get();
        final long since = commitSince;
        if (p == null && since != 0 && System.nanoTime() - since > STALLED.toNanos()) {
            // the producer waits for the brokers (up to max.block.ms) before it fails the batch
            return "STALLED (a commit has waited " + Duration.ofNanos(System.nanoTime() - since).toSeconds() + " s for Kafka)";
        }
        return p == null ? "RUNNING" : p;
    }

    public Optional<ShipCheckpoint> committed() {
        return Optional.ofNullable(committed);
    }

    /** Ships until {@code running} turns false; a batch under way is finished (committed) first. */
    public void run(final BooleanSupplier running) throws InterruptedException {
        Duration backoff = Duration.ofSeconds(1);
        while (running.getAsBoolean()) {
            final KafkaProducer<byte[], byte[]> producer = transactionalProducer();
            try {
                producer.initTransactions();
                final ShipCheckpoint start = resumeFrom();
                committed = start;
                problem.set(null);
                shipFrom(start, producer, running);
                return;
            } catch (final ProducerFencedException e) {
                throw new IllegalStateException("another shipper named '" + settings.name() + "' started and took over "
                    + "(transactional id " + transactionalId() + "); this one stops", e);
            } catch (final AuthenticationException | AuthorizationException | UnsupportedVersionException e) {
                throw new IllegalStateException("Kafka refused the shipper: " + e.getMessage(), e);
            } catch (final KafkaException | IOException e) {
                kafkaErrors.increment();
                problem.set("RETRYING (Kafka: " + e.getMessage() + ")");
                LOG.warn("Shipping stopped ({}); resuming from the last committed checkpoint in {} s", e.getMessage(),
                    backoff.toSeconds());
                Thread.sleep(backoff.toMillis());
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            } finally {
                // bounded: after a Kafka error the batch is abandoned anyway, and a plain close() would
                // wait for the unreachable brokers before the retry could even begin
                producer.close(Duration.ofSeconds(5));
            }
        }
    }

    /** Reads, parses and commits batch after batch from {@code start} until stopped or a Kafka error. */
    private void shipFrom(final ShipCheckpoint start, final KafkaProducer<byte[], byte[]> producer,
                          final BooleanSupplier running) throws IOException, InterruptedException {
        final FollowPositions shipped = start.positions();
        final LiveParser parser = new LiveParser(settings.parsing());
        ShipCheckpoint last = start;
        try (FileFollower follower = FileFollower.resumeWithContext(settings.follow(), shipped)) {
            while (running.getAsBoolean()) {
                final List<FollowedLine> lines = follower.poll(settings.maxBatchLines());
                lagBytes.clear();
                lagBytes.putAll(follower.lagBytes());
                fileLag.register(lagBytes.entrySet().stream()
                    .map(e -> MultiGauge.Row.of(Tags.of("path", e.getKey().toString()), e.getValue())).toList(), true);
                final Batch batch = new Batch();
                int contextLines = 0;
                for (final FollowedLine line : lines) {
                    final boolean context = line.context();
                    parser.parse(line, context, batch);
                    if (!context) {
                        batch.lines++;
                    } else {
                        contextLines++;
                    }
                }
                final FollowPositions now = follower.positions();
                if (batch.lines == 0 && now.equals(last.positions())) {
                    if (lines.isEmpty()) {
                        Thread.sleep(settings.pollInterval().toMillis());
                    }
                    continue;
                }
                final ShipCheckpoint next = last.next(now);
                commit(producer, batch, next);
                if (LOG.isDebugEnabled()) {
                    LOG.debug("committed {}: {} new lines ({} context), {} traces, {} dead letters; {}", next.seq(), batch.lines,
                        contextLines, batch.traces.size(), batch.deadLetters.size(), now.files().stream()
                            .map(f -> f.path().getFileName() + "@" + f.offset() + "#" + f.lines() + "/" + f.file()).toList());
                }
                last = next;
                committed = next;
                next.writeFile(settings.stateFile());
                linesRead.increment(batch.lines);
                recordsSent.increment(batch.traces.size());
                deadLetters.increment(batch.deadLetters.size());
                skipped.increment(batch.skipped);
                transactions.increment();
                batch.traces.stream().mapToLong(r -> r.timestamp()).max().ifPresent(t -> lastEventTime.accumulateAndGet(t, Math::max));
            }
        }
    }

    private void commit(final KafkaProducer<byte[], byte[]> producer, final Batch batch, final ShipCheckpoint next) {
        commitSince = System.nanoTime();
        try {
            send(producer, batch, next);
        } finally {
            commitSince = 0;
        }
    }

    private void send(final KafkaProducer<byte[], byte[]> producer, final Batch batch, final ShipCheckpoint next) {
        producer.beginTransaction();
        batch.traces.forEach(producer::send);
        batch.deadLetters.forEach(producer::send);
        final byte[] key = settings.name().getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(positionsTopic, key, next.toJson().getBytes(StandardCharsets.UTF_8)));
        producer.commitTransaction();
    }

    /** The records of one batch of lines, serialised for the one transactional producer. */
    private final class Batch implements LiveParser.Output {
        final List<ProducerRecord<byte[], byte[]>> traces = new ArrayList<>();
        final List<ProducerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
        long lines;
        long skipped;

        @Override
        public void trace(final String key, final MessageTrace trace) {
            final String topic = topics.traces.name();
            traces.add(new ProducerRecord<>(topic, null, trace.getEventTime().toEpochMilli(),
                key == null ? null : key.getBytes(StandardCharsets.UTF_8), traceValues.serialize(topic, trace)));
        }

        @Override
        public void deadLetter(final DeadLetter deadLetter) {
            final String topic = topics.deadLetters.name();
            deadLetters.add(new ProducerRecord<>(topic, null, deadLetter.getEventTime().toEpochMilli(),
                deadLetter.getSource().getBytes(StandardCharsets.UTF_8), deadLetterValues.serialize(topic, deadLetter)));
        }

        @Override
        public void skipped(final String reason) {
            skipped++;
        }
    }

    /**
     * The checkpoint to go on from: the last one committed to the positions topic, or the state
     * file's if that is further (the topic was deleted or compacted away), else the beginning.
     */
    private ShipCheckpoint resumeFrom() {
        final Optional<ShipCheckpoint> inKafka = readCommittedCheckpoint();
        final Optional<ShipCheckpoint> inFile = ShipCheckpoint.readFile(settings.stateFile())
            .filter(c -> c.shipper().equals(settings.name()));
        final ShipCheckpoint chosen = inKafka.filter(k -> inFile.isEmpty() || k.seq() >= inFile.get().seq())
            .orElse(inFile.orElse(ShipCheckpoint.first(settings.name())));
        LOG.info("Shipper '{}' resumes at checkpoint {} ({}; state file {})", settings.name(), chosen.seq(),
            inKafka.isPresent() ? "committed in " + positionsTopic : "none in " + positionsTopic,
            inFile.map(c -> "at " + c.seq()).orElse("absent"));
        return chosen;
    }

    private Optional<ShipCheckpoint> readCommittedCheckpoint() {
        final Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final byte[] key = settings.name().getBytes(StandardCharsets.UTF_8);
            final int partitions = consumer.partitionsFor(positionsTopic, Duration.ofSeconds(30)).size();
            final TopicPartition tp = new TopicPartition(positionsTopic, Utils.toPositive(Utils.murmur2(key)) % partitions);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            final long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
            String latest = null;
            while (consumer.position(tp, Duration.ofSeconds(30)) < end) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.key() != null && java.util.Arrays.equals(r.key(), key)) {
                        latest = r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8);
                    }
                }
            }
            return Optional.ofNullable(latest).map(ShipCheckpoint::fromJson);
        }
    }

    private KafkaProducer<byte[], byte[]> transactionalProducer() {
        final Map<String, Object> props = new HashMap<>(kafka);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "20");
        props.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // a broker that is away is waited for by the retry loop above, not by a send blocking for long
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    String transactionalId() {
        return "mailflow-ship-" + settings.name();
    }
}
