package io.mailflow.ingest;

import io.mailflow.app.EmbeddedKafka;
import io.mailflow.app.KafkaReplay;
import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.serde.MockSchemaRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Parse + produce benchmark (not a test): replays trace files with the production path of
 * {@code mailflow replay} ({@link KafkaReplay}: Replayer, KafkaTraceSink, idempotent producers
 * with acks=all) into an embedded broker, without the analyzer, and prints records/s and MB/s.
 *
 * <p>First the same files are parsed into a sink that only counts: that round warms up the JIT
 * and gives the parse-only rate of this input on this machine, so the cost of producing shows as
 * the difference. The produce round is timed from before the producers are created until the
 * last record is acknowledged; the broker's end offsets are then checked against the records sent.
 * The broker runs in this JVM and shares its cores, as it does under {@code replay --embedded}.
 *
 * <pre>
 * mvn -q -B -DskipTests package                     # mailflow.jar, for `mailflow generate`
 * deploy/bin/mailflow generate --format exchange --servers EX01,EX02 --max-records 2000000 --duration 30d --quiet --out /tmp/ingest-bench/exchange
 * deploy/bin/mailflow generate --format postfix --max-records 2000000 --duration 30d --quiet --out /tmp/ingest-bench/maillog
 * mvn -q -B -pl analyzer -am test-compile
 * mvn -q -B -pl analyzer dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -Xmx2g -Dpartitions=6 -cp analyzer/target/test-classes:analyzer/target/classes:schemas/target/classes:$(cat /tmp/cp.txt) \
 *      io.mailflow.ingest.ReplayThroughput /tmp/ingest-bench/exchange /tmp/ingest-bench/maillog
 * </pre>
 */
public final class ReplayThroughput {
    private static final String REGISTRY_SCOPE = "replay-throughput";

    private ReplayThroughput() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: ReplayThroughput FILE|DIR... (-Dpartitions=N, default 6)");
            System.exit(2);
        }
        final List<Path> inputs = new ArrayList<>();
        for (final String a : args) {
            inputs.add(Path.of(a));
        }
        final int partitions = Integer.getInteger("partitions", 6);
        final ReplayOptions options = ReplayOptions.defaults();

        final long parseStart = System.nanoTime();
        final ReplaySummary parsed = new Replayer().replay(inputs, options, new DiscardingSink());
        report("parse only", parsed, System.nanoTime() - parseStart);

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            final MailflowConfig config = MailflowConfig.builder().defaults()
                    .override("bootstrap.servers", kafka.bootstrapServers())
                    .override("schema.registry.url", "mock://" + REGISTRY_SCOPE)
                    .override("mailflow.topic.partitions", String.valueOf(partitions))
                    // generated logs may lie in the past: retention on event time would delete them
                    .override("mailflow.topic.retention", "infinite")
                    .build();
            final Topics topics = new Topics(config);
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
                final long start = System.nanoTime();
                final ReplaySummary produced = KafkaReplay.replay(config, topics, inputs, options);
                report("parse+produce", produced, System.nanoTime() - start);
                final long onBroker = endOffsetSum(admin, topics.traces.name(), partitions);
                System.out.printf(Locale.ROOT, "traces topic (%d partitions) holds %,d records; replay sent %,d%n",
                        partitions, onBroker, produced.records());
                if (onBroker != produced.records()) {
                    System.out.println("MISMATCH: the broker does not hold every record sent");
                    System.exit(1);
                }
            }
        } finally {
            MockSchemaRegistry.dropScope(REGISTRY_SCOPE);
        }
    }

    private static void report(final String round, final ReplaySummary s, final long nanos) {
        final double seconds = nanos / 1e9;
        System.out.printf(Locale.ROOT, "%-14s %,11d records %,7d rejected %,9d skipped %,8.1f MB read %7.2f s  %,10.0f records/s  %6.1f MB/s%n",
                round, s.records(), s.rejected(), s.skipped(), s.bytesRead() / 1e6, seconds, s.records() / seconds,
                s.bytesRead() / 1e6 / seconds);
    }

    private static long endOffsetSum(final Admin admin, final String topic, final int partitions) throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        final Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(request).all().get(30, TimeUnit.SECONDS);
        return ends.values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    }

    /** Drops everything, so the parse-only round measures reading, parsing and merging alone (the summary counts). */
    private static final class DiscardingSink implements TraceSink {
        @Override
        public void accept(final String key, final MessageTrace trace) {
        }

        @Override
        public void reject(final DeadLetter deadLetter) {
        }
    }
}
