package io.mailflow.bench;

import io.mailflow.config.MailflowConfig;
import io.mailflow.app.Analyzer;
import io.mailflow.app.StreamsSettings;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.Topics;
import io.mailflow.generate.GeneratorSettings;
import io.mailflow.generate.KafkaTraceOutput;
import io.mailflow.generate.TraceOutput;
import io.mailflow.generate.TraceTopics;
import io.mailflow.generate.TrafficGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Alert latency as an on-call engineer feels it: with the full topology running and traces
 * arriving live at a steady rate, the wall-clock time from producing the record that makes an
 * episode FIRING to that alert being readable (read_committed) on the alerts topic.
 *
 * <p>Two figures. From the condition: the triggering record is the first record produced with an
 * event time at or after the alert's {@code eventTime} (the failure that completed the rule).
 * From the watermark: the first record produced at or after the grid point at which the
 * slowest partition's heartbeat is a grace past that moment, i.e. when the connector monitor
 * may judge it (docs/detection.md). The first includes the price of judging in watermark order
 * (grace + one heartbeat of event time, however long the traffic takes to cover it); the second is
 * what the app adds on top.
 */
final class AlertLatencyBenchmark {
    private AlertLatencyBenchmark() {
    }

    record Result(long records, double seconds, int firing, int otherAlerts, double[] latenciesMillis,
                  double[] fromWatermarkMillis) {
        double actualRate() {
            return records / seconds;
        }
    }

    static Result run(final BenchCluster cluster, final long seed, final int ratePerSecond, final Duration wallTime) throws Exception {
        final MailflowConfig config = cluster.config("live");
        cluster.createTopics(config);
        final Topics topics = new Topics(config);
        final String appId = cluster.name("latency");
        final Path stateDir = Files.createTempDirectory(appId + "-state-");
        final java.util.Properties props = StreamsSettings.streamsProperties(config);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        final KafkaStreams streams = new KafkaStreams(Analyzer.topologyFor(config), props);

        final ConcurrentSkipListMap<Long, Long> producedAtByEventTime = new ConcurrentSkipListMap<>();
        final List<Double> latencies = new CopyOnWriteArrayList<>();
        final List<Double> fromWatermark = new CopyOnWriteArrayList<>();
        final io.mailflow.config.DetectionConfig rules = io.mailflow.config.DetectionConfig.from(config);
        final long judgedAfterMs = rules.grace().toMillis();
        final long gridMs = rules.heartbeat().toMillis();
        final AtomicLong otherAlerts = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread alertReader = new Thread(() -> readAlerts(config, topics, producedAtByEventTime, latencies,
                fromWatermark, judgedAfterMs, gridMs, otherAlerts, stop),
            "bench-alert-reader");
        try {
            streams.start();
            awaitRunning(streams);
            alertReader.start();
            final long records = (long) ratePerSecond * wallTime.toSeconds();
            final GeneratorSettings traffic = BenchTraffic.live(seed, Duration.ofDays(2)).toBuilder().maxRecords(records).build();
            final KafkaTraceOutput kafka = new KafkaTraceOutput(TraceTopics.producer(config, 1), topics.traces.name());
            final long t0 = System.nanoTime();
            try (PacedOutput paced = new PacedOutput(kafka, ratePerSecond, producedAtByEventTime)) {
                new TrafficGenerator(traffic).generate(paced);
            }
            final double seconds = (System.nanoTime() - t0) / 1e9;
            // let the analyzer catch up and the last transactions commit
            final Map<TopicPartition, Long> ends = cluster.endOffsets(topics.traces.name());
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (cluster.lag(appId, ends) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(2000);
            stop.set(true);
            alertReader.join(10_000);
            final double[] values = latencies.stream().mapToDouble(Double::doubleValue).toArray();
            return new Result(records, seconds, values.length, (int) otherAlerts.get(), values,
                fromWatermark.stream().mapToDouble(Double::doubleValue).toArray());
        } finally {
            stop.set(true);
            streams.close(Duration.ofSeconds(60));
            streams.cleanUp();
            ProcessMemory.deleteRecursively(stateDir);
        }
    }

    private static void awaitRunning(final KafkaStreams streams) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                throw new IllegalStateException("The live analyzer did not reach RUNNING (state " + streams.state() + ")");
            }
            Thread.sleep(50);
        }
    }

    private static void readAlerts(final MailflowConfig config, final Topics topics, final ConcurrentSkipListMap<Long, Long> producedAt,
                                   final List<Double> latencies, final List<Double> fromWatermark, final long judgedAfterMs,
                                   final long gridMs, final AtomicLong otherAlerts, final AtomicBoolean stop) {
        try (KafkaConsumer<String, ConnectorAlert> consumer = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.get("bootstrap.servers"),
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10,
            ConsumerConfig.CLIENT_ID_CONFIG, "mailflow-bench-alerts"),
            new StringDeserializer(), topics.alerts.valueSerde().deserializer())) {
            final List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topics.alerts.name()).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!stop.get()) {
                for (final ConsumerRecord<String, ConnectorAlert> r : consumer.poll(Duration.ofMillis(20))) {
                    final long seenAt = System.nanoTime();
                    final ConnectorAlert alert = r.value();
                    if (alert == null || alert.getState() != AlertState.FIRING || alert.getType() != AlertType.CONNECTOR_FAILURE) {
                        otherAlerts.incrementAndGet();
                        continue;
                    }
                    final Map.Entry<Long, Long> trigger = producedAt.ceilingEntry(alert.getEventTime().toEpochMilli());
                    final Map.Entry<Long, Long> at = trigger != null ? trigger : producedAt.floorEntry(alert.getEventTime().toEpochMilli());
                    if (at != null) {
                        latencies.add((seenAt - at.getValue()) / 1e6);
                    }
                    // the first grid point whose heartbeat, less grace, is past the alert's moment
                    final long judgeable = Math.floorDiv(alert.getEventTime().toEpochMilli() + judgedAfterMs, gridMs) * gridMs + gridMs;
                    final Map.Entry<Long, Long> watermarkPassed = producedAt.ceilingEntry(judgeable);
                    if (watermarkPassed != null) {
                        fromWatermark.add((seenAt - watermarkPassed.getValue()) / 1e6);
                    }
                }
            }
        }
    }

    /**
     * Produces at a steady wall-clock rate and remembers when the first record of each event-time
     * millisecond was handed to the producer.
     */
    private static final class PacedOutput implements TraceOutput {
        private final TraceOutput target;
        private final double nanosPerRecord;
        private final ConcurrentSkipListMap<Long, Long> producedAt;
        private final long start = System.nanoTime();
        private long count;

        PacedOutput(final TraceOutput target, final int ratePerSecond, final ConcurrentSkipListMap<Long, Long> producedAt) {
            this.target = target;
            this.nanosPerRecord = 1e9 / ratePerSecond;
            this.producedAt = producedAt;
        }

        @Override
        public void accept(final MessageTrace trace) throws IOException {
            final long due = start + (long) (count * nanosPerRecord);
            long now = System.nanoTime();
            while (now < due) {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(due - now, 1_000_000));
                now = System.nanoTime();
            }
            producedAt.putIfAbsent(trace.getEventTime().toEpochMilli(), now);
            target.accept(trace);
            count++;
        }

        @Override
        public void close() throws IOException {
            target.close();
        }
    }
}
