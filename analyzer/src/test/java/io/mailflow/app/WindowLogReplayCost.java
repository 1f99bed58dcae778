package io.mailflow.app;

import io.mailflow.config.QueueConfig;
import io.mailflow.state.HeapBudget;
import io.mailflow.state.LoggedWindow;
import io.mailflow.state.BatchChangelog;
import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * What a task start costs since the window stores are logged in batches (docs/benchmarks.md,
 * "Twelfth cut"): writes N arrival-sized entries (default 1 M, over 2 hours of event time, a
 * commit every 10,000) through a {@code queue-arrivals} window store as mailflow lays it out
 * (RocksDB, 12 h segments) and its batch log (RocksDB), then fills an empty window store from the
 * log, as a task does when it starts on an instance without the local store, and prints the time.
 *
 * <pre>java -cp analyzer/target/test-classes:analyzer/target/classes:schemas/target/classes:$(cat cp.txt) io.mailflow.app.WindowLogReplayCost [N]</pre>
 */
public final class WindowLogReplayCost {
    private WindowLogReplayCost() {
    }

    public static void main(final String[] args) throws Exception {
        final int entries = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final Duration retention = Duration.ofHours(2);
        // mailflow's default heap for the message memory, or -Dbudget=BYTES (0: all in RocksDB)
        final HeapBudget budget = new HeapBudget(Long.getLong("budget", QueueConfig.defaults().messageMemoryMaxBytes()));
        final File dir = Files.createTempDirectory("window-log-replay-").toFile();
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "replay-cost");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        final MockProcessorContext<Object, Object> context = new MockProcessorContext<>(props, new TaskId(0, 0), dir);

        final KeyValueStore<Bytes, byte[]> log = BatchChangelog.store(
            Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("queue-arrivals-log"), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled(), "queue-arrivals", Serdes.String(), Serdes.ByteArray(), retention).build();
        log.init(context.getStateStoreContext(), log);
        final WindowStore<Bytes, byte[]> written = windowStore("queue-arrivals", retention, context);
        final LoggedWindow<String, byte[]> window = BatchChangelog.logging(log, written, budget);

        final byte[] value = new byte[100]; // a MessageArrival: sender, subject, Message-ID
        final long step = retention.toMillis() / entries;
        long start = System.nanoTime();
        for (int i = 0; i < entries; i++) {
            window.put(String.format("<%016x.%08d@mail.example.com>", i * 7919L, i), value, 1_700_000_000_000L + i * Math.max(1, step));
            if (i % 10_000 == 9_999) {
                ((org.apache.kafka.streams.state.internals.WrappedStateStore<?, ?, ?>) log).flushCache(); // a commit
            }
        }
        ((org.apache.kafka.streams.state.internals.WrappedStateStore<?, ?, ?>) log).flushCache();
        System.out.printf("wrote %,d entries in %.1f s%n", entries, (System.nanoTime() - start) / 1e9);

        final WindowStore<Bytes, byte[]> empty = windowStore("queue-arrivals-restored", retention, context);
        start = System.nanoTime();
        BatchChangelog.logging(log, empty, budget);
        final double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("filled an empty window store from the log: %,d entries in %.2f s (%,.0f entries/s)%n",
            entries, seconds, entries / seconds);
        empty.close();
        written.close();
        log.close();
        EmbeddedKafka.deleteRecursively(dir.toPath());
    }

    private static WindowStore<Bytes, byte[]> windowStore(final String name, final Duration retention,
                                                           final MockProcessorContext<Object, Object> context) {
        final WindowStore<Bytes, byte[]> store = Stores.windowStoreBuilder(WindowSegments.pointStore(name, retention),
            Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        return store;
    }
}
