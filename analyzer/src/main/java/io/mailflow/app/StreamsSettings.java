package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.DeadLetterExceptionHandler;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka Streams properties mailflow runs with: safe defaults (exactly-once v2, explicit
 * internal resource naming, dead-letter exception handlers), overridden by anything the user set.
 */
public final class StreamsSettings {
    /** The stream threads' producer batch size, unless the user sets {@code producer.batch.size}. */
    private static final int STREAMS_PRODUCER_BATCH_BYTES = 128 * 1024;

    private StreamsSettings() {
    }

    public static Properties streamsProperties(final MailflowConfig config) {
        final Properties props = new Properties();
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // KIP-1111: every changelog and repartition topic must carry a name we chose, so renaming
        // an operator can never silently orphan state.
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandler.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandler.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, org.apache.kafka.common.serialization.Serdes.StringSerde.class.getName());
        props.put(StreamsConfig.producerPrefix("acks"), "all");
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        // Every task reads one partition (each sub-topology has one source topic;
        // TopologyDescriptionTest fails when that changes), so there is nothing to wait for
        // before processing: with Kafka's default (0), each idle task's readiness check
        // formats a lag message with String.format on every loop, 17 % of the stream thread in a
        // profile of the bench (docs/benchmarks.md, issue 14). -1 skips the check.
        props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, String.valueOf(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED));
        // Only transactional state stores (KIP-892, off unless enable.transactional.statestores)
        // hold uncommitted bytes, but Kafka Streams 4.4 asks every store of every task for them on
        // every loop to decide on an early commit: 4 % of the stream thread for a sum that is 0.
        if (!"true".equals(config.asMap().get(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG))) {
            props.put(StreamsConfig.STATESTORE_UNCOMMITTED_MAX_BYTES_CONFIG, "-1");
        }
        // A commit writes each buffered store's changes at once (CommitBufferedStore), thousands of
        // records to one changelog partition: in Kafka's 16 KB batches that is many produce requests
        // for the broker on the same cores. 128 KB batches: the full topology 47 k -> 60 k records/s
        // in the bench at 6 partitions (docs/benchmarks.md, "Tenth cut"). No record waits longer for
        // it: a batch still goes out after linger.ms (Kafka Streams sets 100 ms), full or not.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), String.valueOf(STREAMS_PRODUCER_BATCH_BYTES));
        // A stream thread per core, but no more than the traces topic has partitions: sub-topology 0
        // (classify, queue tracking, stats) does most of the work and has one task per partition,
        // so a thread beyond that idles. One thread left the second core half idle: the full
        // topology 52 k -> 73 k records/s in the bench on 2 cores (docs/benchmarks.md, "Eleventh cut").
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, String.valueOf(defaultStreamThreads(config)));
        // Pass everything through (Kafka, Streams, serde and mailflow.* keys: the exception handlers read some of them).
        for (final Map.Entry<String, String> e : config.asMap().entrySet()) {
            props.put(e.getKey(), e.getValue());
        }
        // Kafka Streams 4.4 checks this flag again in the StreamsConfig its partition assignor builds
        // from the main consumer's configs, which carry no Streams keys: without this copy that
        // check warns "not enabled for the GlobalThread" at every start although the flag is set.
        props.putIfAbsent(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG),
            props.get(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG));
        return props;
    }

    /** One stream thread per available core, at most one per partition of the traces topic, at least one. */
    static int defaultStreamThreads(final MailflowConfig config) {
        final int partitions = Math.max(1, config.getInt("mailflow.topic.partitions", 1));
        return Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), partitions));
    }
}
