package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.SchemaRegistration;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.KafkaTraceSink;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.ingest.ReplayRun;
import io.mailflow.ingest.ReplaySummary;
import io.mailflow.ingest.Replayer;
import io.mailflow.ingest.RetentionGuard;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Replays trace files into a Kafka cluster: the {@link Replayer} feeding a {@link KafkaTraceSink}
 * with one producer for traces and one for dead letters. This is what {@code mailflow replay}
 * runs (against a cluster or the embedded broker); the integration test and the ingest
 * benchmark call it too, so they measure and check the path users run, not a copy of it.
 */
public final class KafkaReplay {
    /** How long a replay waits for a registry that fails before it gives up, sending nothing. */
    static final Duration REGISTRY_PATIENCE = Duration.ofMinutes(2);
    private KafkaReplay() {
    }

    /**
     * Replays the inputs and returns once every record and dead letter is acknowledged.
     *
     * @throws IllegalStateException if any record could not be sent (the replay itself went on)
     */
    public static ReplaySummary replay(final MailflowConfig config, final Topics topics, final List<Path> inputs,
                                       final ReplayOptions options) throws InterruptedException {
        return replay(config, topics, inputs, options, null).summary();
    }

    /** What a replay did, and how many of its records the traces topic's retention will delete. */
    public record Result(ReplaySummary summary, long beyondRetention) {
    }

    /**
     * Replays the inputs, warning as soon as a record is older than {@code tracesRetention}
     * (null: the topic keeps records forever).
     */
    public static Result replay(final MailflowConfig config, final Topics topics, final List<Path> inputs,
                                final ReplayOptions options, final Duration tracesRetention) throws InterruptedException {
        return replay(config, topics, inputs, options, tracesRetention, ReplayRun.idInBackground(inputs, options));
    }

    /** Replays the inputs as the run {@code runId} ({@link ReplayRun#idInBackground} of the same inputs and options). */
    public static Result replay(final MailflowConfig config, final Topics topics, final List<Path> inputs, final ReplayOptions options,
                                final Duration tracesRetention, final Future<String> runId) throws InterruptedException {
        // registered before the first record: a registry that is down makes the replay wait (up
        // to REGISTRY_PATIENCE) before anything is sent, never fail half way through
        SchemaRegistration.registerAll(topics.serdeConfig(), Map.of(
            topics.traces.name() + "-value", MessageTrace.getClassSchema(),
            topics.deadLetters.name() + "-value", DeadLetter.getClassSchema()), REGISTRY_PATIENCE);
        final String run = ReplayRun.await(runId);
        final Map<String, Object> props = producerProperties(config);
        try (KafkaProducer<String, MessageTrace> traces = new KafkaProducer<>(props, new StringSerializer(),
                 topics.traces.valueSerde().serializer());
             KafkaProducer<String, DeadLetter> deadLetters = new KafkaProducer<>(props, new StringSerializer(),
                 topics.deadLetters.valueSerde().serializer())) {
            final KafkaTraceSink sink = new KafkaTraceSink(traces, topics.traces.name(), deadLetters, topics.deadLetters.name())
                .asRun(run);
            final RetentionGuard guard = new RetentionGuard(sink, topics.traces.name(), tracesRetention, Instant.now());
            final ReplaySummary summary = new Replayer().replay(inputs, options, guard);
            guard.flush();
            if (sink.failures() > 0 && (sink.firstError() instanceof org.apache.kafka.common.errors.AuthorizationException
                || sink.firstError() instanceof org.apache.kafka.common.errors.AuthenticationException)) {
                throw (org.apache.kafka.common.KafkaException) sink.firstError(); // trying again will not help: the CLI says what will
            }
            if (sink.failures() > 0) {
                throw new IllegalStateException(sink.failures() + " records were not sent to " + topics.traces.name() + " or "
                    + topics.deadLetters.name() + " (first error: " + sink.firstError().getMessage() + "). Run the same replay "
                    + "again once Kafka is available: the analyzer skips what it has analysed of this run (" + run
                    + ") and takes only what is missing.", sink.firstError());
            }
            return new Result(summary, guard.beyondRetention());
        }
    }

    /**
     * The configured Kafka properties with what a replay needs whatever the user set: acks=all and
     * idempotence, so a retried batch is neither lost nor duplicated (every record exactly once,
     * in send order per partition). Batching and compression are only defaults: a replay is a
     * bulk load, so larger batches than the client's 16 KiB pay off.
     */
    static Map<String, Object> producerProperties(final MailflowConfig config) {
        final Map<String, Object> props = new HashMap<>(config.kafkaProperties());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "20");
        props.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        props.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // One produce request at a time. With several in flight, the first request to a partition
        // created a moment ago can be refused (NOT_LEADER_OR_FOLLOWER) while the one pipelined
        // behind it is appended; the broker then refuses the retried first batch as out of order,
        // forever: the embedded replay of a 9-line file hung in 3 of about 40 runs until the
        // delivery timeout. Batches of 256 KiB keep one request at a time a bulk load.
        props.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        // a broker that restarts or fails over during a replay is waited for, not a lost batch:
        // records are retried for up to 5 minutes, and send() blocks while the buffer is full
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(5 * 60_000));
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(5 * 60_000));
        return props;
    }
}
