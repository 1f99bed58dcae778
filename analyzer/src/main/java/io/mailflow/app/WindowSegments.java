package io.mailflow.app;

import io.mailflow.queue.QueueTracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.internals.RocksDbWindowBytesStoreSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segment layout of the queue's persistent window stores ({@code queue-arrivals},
 * {@code queue-outcomes}): one RocksDB instance per {@link #INTERVAL} of event time.
 *
 * <p>Why not Kafka's default (half the retention: 1 h and 30 min here): every segment is a RocksDB
 * instance opened when the first record of its time span comes and closed and deleted when it
 * expires. A 54-hour replay opened 162 of them in its one task, about 2 s of 25 on 2 cores, and a
 * cluster opens them in every task of every instance. With 12 h segments it opens about 10, and a
 * lookup visits one or two segments instead of three (docs/benchmarks.md, "Fifth cut").
 *
 * <p>What the stores answer does not change: Kafka Streams bounds every fetch and get by the
 * store's retention ({@code observedStreamTime - retention + 1}), whatever the segment holds.
 * Expired entries only stay on disk longer, until their segment is dropped, at most 12 h more.
 *
 * <p>The layout is fixed, not derived from the retention, so a changed
 * {@code mailflow.queue.arrival-retention} or {@code reorder-tolerance} does not change it. State
 * written with another layout (by a build from before this class) cannot be reused: Kafka
 * Streams would open empty segments beside the old ones. It notices that, as a window store keeps
 * its changelog offset in its segments: under exactly-once it wipes the task as corrupted, under
 * at-least-once it restores the store from its changelog and leaves the old segments on disk,
 * each with WARNs that do not say why. At start, before Kafka Streams opens anything, such a task
 * directory is deleted here instead, with one WARN that says why; the task is restored from its
 * changelogs either way (deploy/local/upgrade-check.sh).
 */
final class WindowSegments {
    private static final Logger LOG = LoggerFactory.getLogger(WindowSegments.class);

    /** Event time per segment. */
    static final Duration INTERVAL = Duration.ofHours(12);

    /** The stores laid out here. */
    static final List<String> STORES = List.of(QueueTracker.ARRIVALS_STORE, QueueTracker.OUTCOMES_STORE);

    private WindowSegments() {
    }

    /** A persistent window store of point entries (one timestamp each, no duplicates) in {@link #INTERVAL} segments. */
    static WindowBytesStoreSupplier pointStore(final String name, final Duration retention) {
        return new RocksDbWindowBytesStoreSupplier(name, retention.toMillis(), INTERVAL.toMillis(), 1L, false,
            RocksDbWindowBytesStoreSupplier.WindowStoreTypes.DEFAULT_WINDOW_STORE);
    }

    /**
     * Deletes the task directories under {@code appDir} in which one of {@link #STORES} has a
     * segment that does not start on an {@link #INTERVAL} boundary: written with another layout.
     * (A segment on the boundary is the one this layout opens for its time, and is kept.) Returns
     * the directories deleted. Call it before Kafka Streams opens the state.
     */
    static List<Path> deleteTasksWithOtherLayout(final Path appDir) {
        final List<Path> deleted = new ArrayList<>();
        if (!Files.isDirectory(appDir)) {
            return deleted;
        }
        try (Stream<Path> tasks = Files.list(appDir)) {
            for (final Path task : tasks.filter(Files::isDirectory).sorted().toList()) {
                final String store = storeWithOtherLayout(task);
                if (store != null) {
                    LOG.warn("The local state of task {} holds {} in segments of another length (an older mailflow); "
                        + "deleting it: Kafka Streams restores it from the changelogs", task.getFileName(), store);
                    EmbeddedKafka.deleteRecursively(task);
                    deleted.add(task);
                }
            }
        } catch (final IOException e) {
            LOG.warn("Could not check the segment layout under {}: {}", appDir, e.getMessage());
        }
        return deleted;
    }

    /** The first of {@link #STORES} in this task directory with a segment off the {@link #INTERVAL} grid, or null. */
    private static String storeWithOtherLayout(final Path task) throws IOException {
        for (final String store : STORES) {
            final Path dir = task.resolve(store);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> segments = Files.list(dir)) {
                if (segments.map(p -> p.getFileName().toString()).anyMatch(n -> isOffGrid(store, n))) {
                    return store;
                }
            }
        }
        return null;
    }

    /** A segment is named {@code store.START}, START in epoch milliseconds. */
    private static boolean isOffGrid(final String store, final String fileName) {
        if (!fileName.startsWith(store + '.')) {
            return false;
        }
        try {
            return Long.parseLong(fileName.substring(store.length() + 1)) % INTERVAL.toMillis() != 0;
        } catch (final NumberFormatException e) {
            return false;
        }
    }
}
