package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends traces to the traces topic and rejected lines to the dead-letter topic. The record
 * timestamp is the event time, so the Streams application's windows and deadlines see the
 * original timeline; the key is the message key. Send errors are counted (and the first one kept
 * for the report), never thrown from the replay loop.
 *
 * <p><b>Progress markers.</b> Each partition of the traces topic is processed by its own task with
 * its own stream time, so every partition must learn how far the producer has got in event time,
 * even one that receives no trace for hours. A progress marker is a record on the traces topic
 * with key and value null, an explicit partition, record timestamp T and the header
 * {@link #PROGRESS_HEADER} = T in ASCII decimal. It means: this producer has sent to this
 * partition every trace with event time &lt; T (traces at exactly T may still follow). Markers
 * are written at points fixed by the record sequence alone, so two replays of the same input write
 * identical partition logs:
 * <ul>
 *   <li>before a trace whose event time t is in a later progress interval than every trace before
 *       it, one marker at t to each partition that received no trace since the previous such
 *       crossing;</li>
 *   <li>in {@link #flush()}, one marker at the largest event time accepted to every partition.</li>
 * </ul>
 * A trace's partition is computed as the producer's default partitioner does for a non-null key.
 * Markers go through the traces producer (so they sit in order among a partition's traces); their
 * send errors count as {@link #failures()}, their acknowledgements as {@link #markers()}, not as
 * {@link #sent()}.
 *
 * <p><b>Replay runs.</b> A sink {@link #asRun named as a replay run} sends every trace to the
 * partition computed above (explicitly) and stamps every record for the traces topic with the
 * {@link ReplayRun#HEADER}: the run id and the record's position among the run's records of that
 * partition, so the analyzer can skip what a repeated run sends again.
 */
public final class KafkaTraceSink implements TraceSink {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaTraceSink.class);

    /** Header of a progress marker; its value is the marker's timestamp (epoch millis) in ASCII decimal. */
    public static final String PROGRESS_HEADER = "mailflow.progress";
    /** Event time between two grid points at which partitions without traces get a marker. */
    public static final Duration DEFAULT_PROGRESS_INTERVAL = Duration.ofMinutes(1);

    private final Producer<String, MessageTrace> traces;
    private final String tracesTopic;
    private final Producer<String, DeadLetter> deadLetters;
    private final String deadLetterTopic;
    /** Progress interval in milliseconds; 0: no markers. */
    private final long interval;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong markers = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<Exception> firstError = new AtomicReference<>();
    private final Callback callback = acknowledging(sent);
    private final Callback markerCallback = acknowledging(markers);

    /** Partitions of the traces topic, looked up on the first trace; -1 before, 0 when unknown (no markers). */
    private int partitions = -1;
    /** Partitions that received a trace since the last interval crossing. */
    private BitSet received;
    private boolean anyAccepted;
    /** Largest event time accepted (epoch millis); meaningful once {@link #anyAccepted}. */
    private long maxEventTime;
    /** Whether flush() has sent its markers and no trace was accepted since. */
    private boolean markedAtFlush;
    /** The replay run these records belong to; null: no run headers. */
    private String runId;
    /** Per partition, the position of the run's next record there. */
    private long[] nextPosition;

    public KafkaTraceSink(final Producer<String, MessageTrace> traces, final String tracesTopic,
            final Producer<String, DeadLetter> deadLetters, final String deadLetterTopic) {
        this(traces, tracesTopic, deadLetters, deadLetterTopic, DEFAULT_PROGRESS_INTERVAL);
    }

    /**
     * @param progressInterval the marker grid in event time (whole milliseconds);
     *                         {@link Duration#ZERO} sends no progress markers
     */
    public KafkaTraceSink(final Producer<String, MessageTrace> traces, final String tracesTopic,
            final Producer<String, DeadLetter> deadLetters, final String deadLetterTopic, final Duration progressInterval) {
        if (progressInterval.isNegative() || (!progressInterval.isZero() && progressInterval.toMillis() == 0)) {
            throw new IllegalArgumentException("The progress interval must be zero (no markers) or at least 1 ms: " + progressInterval);
        }
        this.traces = traces;
        this.tracesTopic = tracesTopic;
        this.deadLetters = deadLetters;
        this.deadLetterTopic = deadLetterTopic;
        this.interval = progressInterval.toMillis();
    }

    /**
     * A sink for sources that cannot reject anything (the traffic generator makes valid records):
     * traces only; {@link #reject} is a programming error there and throws.
     */
    public KafkaTraceSink(final Producer<String, MessageTrace> traces, final String tracesTopic) {
        this(traces, tracesTopic, null, null);
    }

    /** As {@link #KafkaTraceSink(Producer, String)}, with the given progress interval. */
    public KafkaTraceSink(final Producer<String, MessageTrace> traces, final String tracesTopic, final Duration progressInterval) {
        this(traces, tracesTopic, null, null, progressInterval);
    }

    /**
     * Names the records this sink sends as those of replay run {@code id} (see {@link ReplayRun});
     * call before the first record.
     */
    public KafkaTraceSink asRun(final String id) {
        if (anyAccepted) {
            throw new IllegalStateException("The run must be named before the first record is sent");
        }
        this.runId = id;
        return this;
    }

    private Callback acknowledging(final AtomicLong acknowledged) {
        return (metadata, exception) -> {
            if (exception == null) {
                acknowledged.incrementAndGet();
            } else if (failures.incrementAndGet() == 1) {
                firstError.set(exception);
                LOG.error("sending to Kafka failed (further errors are only counted)", exception);
            }
        };
    }

    @Override
    public void accept(final String key, final MessageTrace trace) {
        final long t = trace.getEventTime().toEpochMilli();
        if (interval > 0 && partitions() > 0) {
            // For input in event-time order (what a replay sends) the largest event time so far is
            // the previous trace's; a late trace neither crosses nor makes the next one cross again.
            if (anyAccepted && Math.floorDiv(t, interval) > Math.floorDiv(maxEventTime, interval)) {
                for (int p = 0; p < partitions; p++) {
                    if (!received.get(p)) {
                        sendMarker(p, t);
                    }
                }
                received.clear();
            }
            if (key != null) {
                received.set(partitionOf(key, partitions));
            }
        }
        maxEventTime = anyAccepted ? Math.max(maxEventTime, t) : t;
        anyAccepted = true;
        markedAtFlush = false;
        final ProducerRecord<String, MessageTrace> record;
        if (runId != null && partitions() > 0) {
            final int partition = partitionOf(key == null ? "" : key, partitions);
            record = new ProducerRecord<>(tracesTopic, partition, t, key, trace, List.of(runHeader(partition)));
        } else {
            record = new ProducerRecord<>(tracesTopic, null, t, key, trace);
        }
        send(() -> traces.send(record, callback), callback);
    }

    private RecordHeader runHeader(final int partition) {
        if (nextPosition == null) {
            nextPosition = new long[partitions];
        }
        return new RecordHeader(ReplayRun.HEADER, ReplayRun.header(runId, nextPosition[partition]++));
    }

    /**
     * The partition the producer's default partitioner picks for a non-null key, as in
     * {@code BuiltInPartitioner.partitionForKey}: murmur2 of the key's bytes (StringSerializer:
     * UTF-8), made positive, modulo the partition count.
     */
    static int partitionOf(final String key, final int numPartitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % numPartitions;
    }

    /** The traces topic's partition count, looked up once; 0 when it cannot be known (then no markers). */
    private int partitions() {
        if (partitions < 0) {
            partitions = 0;
            try {
                final List<PartitionInfo> infos = traces.partitionsFor(tracesTopic);
                partitions = infos == null ? 0 : infos.size();
                if (partitions == 0) {
                    LOG.warn("The producer knows no partitions of {}: no progress markers will be written", tracesTopic);
                }
            } catch (final RuntimeException e) {
                // The traces will most likely fail the same way; if not, the run must not pass as complete.
                callback.onCompletion(null, e);
            }
            received = new BitSet(partitions);
        }
        return partitions;
    }

    private void sendMarker(final int partition, final long timestamp) {
        final RecordHeader progress = new RecordHeader(PROGRESS_HEADER, Long.toString(timestamp).getBytes(StandardCharsets.US_ASCII));
        final ProducerRecord<String, MessageTrace> marker = new ProducerRecord<>(tracesTopic, partition, timestamp, null, null,
            runId == null ? List.of(progress) : List.of(progress, runHeader(partition)));
        send(() -> traces.send(marker, markerCallback), markerCallback);
    }

    @Override
    public void reject(final DeadLetter deadLetter) {
        if (deadLetters == null) {
            throw new IllegalStateException("This sink has no dead-letter topic; rejected: " + deadLetter.getReason());
        }
        send(() -> deadLetters.send(new ProducerRecord<>(deadLetterTopic, null, deadLetter.getEventTime().toEpochMilli(),
                deadLetter.getSource(), deadLetter), callback), callback);
    }

    /** send() itself may throw (serialization, buffer exhausted after max.block.ms): count, go on. */
    private static void send(final Runnable send, final Callback callback) {
        try {
            send.run();
        } catch (final RuntimeException e) {
            callback.onCompletion(null, e);
        }
    }

    /** Marks every partition at the largest event time accepted (once per batch of traces), then flushes. */
    @Override
    public void flush() {
        if (interval > 0 && anyAccepted && !markedAtFlush && partitions() > 0) {
            for (int p = 0; p < partitions; p++) {
                sendMarker(p, maxEventTime);
            }
        }
        markedAtFlush = true;
        traces.flush();
        if (deadLetters != null && (Object) deadLetters != traces) {
            deadLetters.flush();
        }
    }

    @Override
    public long failures() {
        return failures.get();
    }

    /** Traces and dead letters acknowledged by the broker (progress markers not included). */
    public long sent() {
        return sent.get();
    }

    /** Progress markers acknowledged by the broker. */
    public long markers() {
        return markers.get();
    }

    /** The first send error, or null. */
    public Exception firstError() {
        return firstError.get();
    }
}
