package io.mailflow.queue;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.internal.QueuedRecipient;
import io.mailflow.ingest.MessageKeys;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Measures what many concurrently queued recipients cost: pushes N recipients (default 1 M; 10
 * per message, none delivered, all deferred within 50 minutes so no deadline fires) through a
 * TopologyTestDriver with the real RocksDB stores, then prints heap used after GC, the state
 * directory's size and the encoded size of one recipient's state. Changelog output that the test
 * driver keeps in memory is drained as it goes, so the heap figure is the topology's own.
 *
 * <pre>java -Xmx512m -cp analyzer/target/test-classes:analyzer/target/classes:$(cat cp.txt) io.mailflow.queue.QueueStateFootprint [N]</pre>
 */
public final class QueueStateFootprint {
    private QueueStateFootprint() {
    }

    public static void main(final String[] args) throws Exception {
        final int recipients = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final int perMessage = 10;
        final long spreadMillis = Duration.ofMinutes(50).toMillis();
        try (QueueTrackingFixture f = new QueueTrackingFixture()) {
            final ByteArrayDeserializer bytes = new ByteArrayDeserializer();
            final long heapBefore = heapAfterGc();
            final long start = System.nanoTime();
            for (int i = 0; i < recipients; i++) {
                final int message = i / perMessage;
                final Duration offset = Duration.ofMillis(spreadMillis * i / recipients);
                final MessageTrace t = QueueTrackingFixture.defer("<m" + message + "@footprint.example>",
                    "user" + (i % perMessage) + "@contoso.example", offset);
                f.traces.pipeInput(new TestRecord<>(MessageKeys.of(t), t, t.getEventTime()));
                if (i % 20_000 == 19_999) {
                    // the test driver keeps every produced record (changelogs too) until read
                    for (final String topic : f.driver.producedTopicNames()) {
                        f.driver.createOutputTopic(topic, bytes, bytes).readRecordsToList();
                    }
                }
            }
            for (final String topic : f.driver.producedTopicNames()) {
                f.driver.createOutputTopic(topic, bytes, bytes).readRecordsToList();
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            final long heapAfter = heapAfterGc();
            final long stateBytes = sizeOf(f.stateDirectory());
            final QueuedRecipient sample = f.driver.<String, QueuedRecipient>getKeyValueStore(QueueTracker.RECIPIENTS_STORE)
                .get(RecipientKeys.of("nmid-m0footprint.example", "user0@contoso.example"));
            final long queued = f.driver.getKeyValueStore(QueueTracker.RECIPIENTS_STORE).approximateNumEntries();
            System.out.printf(Locale.ROOT, "recipients queued:        %,d (RocksDB estimate %,d)%n", recipients, queued);
            System.out.printf(Locale.ROOT, "time:                     %.1f s (%,.0f records/s through the test driver)%n", seconds, recipients / seconds);
            System.out.printf(Locale.ROOT, "heap used after GC:       %,.1f MiB before, %,.1f MiB after (max heap %,.0f MiB)%n",
                heapBefore / 1048576.0, heapAfter / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0);
            System.out.printf(Locale.ROOT, "state directory:          %,.1f MiB (%,.0f bytes per queued recipient)%n",
                stateBytes / 1048576.0, (double) stateBytes / recipients);
            System.out.printf(Locale.ROOT, "one recipient's state:    %d bytes Avro binary (+5 bytes wire header), key %d bytes%n",
                avroSize(sample), RecipientKeys.of("nmid-m0footprint.example", "user0@contoso.example").length());
            System.out.printf(Locale.ROOT, "process RSS:              %s%n", rss());
            // what the queue tracker does when its task starts: every key of the store into QueuedKeys
            final long keysHeapBefore = heapAfterGc();
            final long scanStart = System.nanoTime();
            final QueuedKeys keys = new QueuedKeys();
            try (KeyValueIterator<String, QueuedRecipient> it =
                     f.driver.<String, QueuedRecipient>getKeyValueStore(QueueTracker.RECIPIENTS_STORE).all()) {
                while (it.hasNext()) {
                    keys.add(it.next().key);
                }
            }
            final double scanSeconds = (System.nanoTime() - scanStart) / 1e9;
            final long keysHeap = heapAfterGc() - keysHeapBefore;
            System.out.printf(Locale.ROOT, "queued keys at task start: %,d keys in %.2f s, %,.1f MiB of heap%n",
                keys.size(), scanSeconds, keysHeap / 1048576.0);
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long sizeOf(final Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static int avroSize(final QueuedRecipient r) throws IOException {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        final BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
        new SpecificDatumWriter<>(QueuedRecipient.class).write(r, e);
        e.flush();
        return out.size();
    }

    private static String rss() throws IOException {
        final Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return "n/a";
        }
        try (Stream<String> lines = Files.lines(status)) {
            return lines.filter(l -> l.startsWith("VmRSS")).map(l -> l.replaceAll("\\s+", " ")).findFirst().orElse("n/a");
        }
    }
}
