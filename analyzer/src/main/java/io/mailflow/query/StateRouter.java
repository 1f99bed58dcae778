package io.mailflow.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a read from the instances that hold the state: every partition of the store is asked
 * of exactly one instance (its active task's, from {@link KafkaStreams#queryMetadataForKey}), the
 * instances in parallel, this one locally, and each partition's answer is used once, so a
 * list merged from them counts nothing twice and misses nothing. A partition that could not be
 * answered (its task moved, is restoring, or its instance is gone) is asked again after the
 * metadata had a moment to settle, the second time of a standby replica. When some partition
 * still has no answer after {@link #SETTLE}, the request fails with 503 rather than answering
 * from part of the state.
 */
final class StateRouter {
    private static final Logger LOG = LoggerFactory.getLogger(StateRouter.class);
    /** How long a request waits for a rebalance to settle before it gives up with 503. */
    static final Duration SETTLE = Duration.ofSeconds(8);
    private static final long RETRY_PAUSE_MS = 200;

    private final KafkaStreams streams;
    private final HostInfo self;
    private final LocalState local;
    private final PeerClient peers;
    /** Partitions by store, once Kafka's metadata told them: fixed while the application runs. */
    private final Map<String, Integer> partitionCounts = new ConcurrentHashMap<>();

    StateRouter(final KafkaStreams streams, final HostInfo self, final LocalState local, final PeerClient peers) {
        this.streams = streams;
        this.self = self;
        this.local = local;
        this.peers = peers;
    }

    /**
     * Every partition of {@code store}: one per partition of its sub-topology's source topic (the
     * traces topic, or the connector stage's repartition topics with their own count), as Kafka
     * Streams' metadata counts them.
     */
    Set<Integer> allPartitions(final String store) {
        final Integer known = partitionCounts.get(store);
        if (known != null) {
            return range(known);
        }
        final long deadline = System.nanoTime() + SETTLE.toNanos();
        while (true) {
            final int[] count = {-1};
            // Kafka hands a partitioner the store's source topic's partition count
            metadata(() -> streams.queryMetadataForKey(store, "", (topic, key, value, numPartitions) -> {
                count[0] = numPartitions;
                return Optional.of(Set.of(0));
            }));
            if (count[0] > 0) {
                partitionCounts.put(store, count[0]);
                return range(count[0]);
            }
            pauseOrGiveUp(deadline, "no metadata for store " + store);
        }
    }

    private static Set<Integer> range(final int partitions) {
        return IntStream.range(0, partitions).boxed().collect(Collectors.toCollection(TreeSet::new));
    }

    /** The partition of the store that holds {@code key} (the default partitioner of the record key). */
    int partitionOf(final String store, final String key) {
        final long deadline = System.nanoTime() + SETTLE.toNanos();
        while (true) {
            final KeyQueryMetadata md = metadata(() -> streams.queryMetadataForKey(store, key, Serdes.String().serializer()));
            if (md != null && md.partition() >= 0 && !KeyQueryMetadata.NOT_AVAILABLE.equals(md)) {
                return md.partition();
            }
            pauseOrGiveUp(deadline, "no metadata for store " + store);
        }
    }

    /** Reads every partition of the read's store. */
    List<JsonNode> readAll(final LocalState.Read read, final Map<String, String> params) {
        return read(read, params, allPartitions(read.store()));
    }

    /** Each of {@code wanted}'s answers (the read's data of that partition), in partition order. */
    List<JsonNode> read(final LocalState.Read read, final Map<String, String> params, final Set<Integer> wanted) {
        final long deadline = System.nanoTime() + SETTLE.toNanos();
        final Map<Integer, JsonNode> answers = new TreeMap<>();
        final Map<Integer, Integer> attempts = new HashMap<>();
        final Map<Integer, String> lastFailure = new TreeMap<>();
        while (true) {
            awaitSettled(deadline);
            final Set<Integer> todo = new TreeSet<>(wanted);
            todo.removeAll(answers.keySet());
            final Map<Target, Set<Integer>> plan = new LinkedHashMap<>();
            for (final int p : todo) {
                final Optional<Target> target = targetFor(read.store(), p, attempts.getOrDefault(p, 0));
                if (target.isPresent()) {
                    plan.computeIfAbsent(target.get(), h -> new TreeSet<>()).add(p);
                } else {
                    lastFailure.put(p, "no instance holds it now");
                }
            }
            final Map<Target, CompletableFuture<ObjectNode>> calls = new LinkedHashMap<>();
            plan.forEach((target, parts) -> calls.put(target, target.host().equals(self)
                ? CompletableFuture.completedFuture(local.read(read, params, parts, target.standby()))
                : peers.read(target.host(), read, params, parts, target.standby())));
            calls.forEach((target, call) -> {
                final HostInfo host = target.host();
                final Set<Integer> asked = plan.get(target);
                try {
                    final ObjectNode answer = call.get(SETTLE.toMillis(), TimeUnit.MILLISECONDS);
                    answer.path("partitions").fields().forEachRemaining(e -> {
                        final int p = Integer.parseInt(e.getKey());
                        if (asked.contains(p)) {
                            answers.put(p, e.getValue());
                        }
                    });
                    answer.path("failed").fields().forEachRemaining(e -> lastFailure.put(Integer.parseInt(e.getKey()),
                        host + ": " + e.getValue().asText()));
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new QueryException(503, "Interrupted while asking " + host + ".");
                } catch (final Exception e) {
                    asked.forEach(p -> lastFailure.put(p, host + ": " + (e.getCause() != null ? e.getCause() : e)));
                }
            });
            todo.removeAll(answers.keySet());
            if (todo.isEmpty()) {
                return new ArrayList<>(answers.values());
            }
            todo.forEach(p -> attempts.merge(p, 1, Integer::sum));
            LOG.debug("{}: partitions {} not answered yet: {}", read, todo, lastFailure);
            final StringBuilder why = new StringBuilder();
            todo.forEach(p -> why.append(why.length() == 0 ? "" : "; ").append(p).append(": ").append(lastFailure.get(p)));
            pauseOrGiveUp(deadline, read.store() + " partitions " + todo + " could not be read (" + why + ")");
        }
    }

    /** While this instance rebalances, the metadata is about to change: wait for it (bounded by the request's deadline). */
    private void awaitSettled(final long deadline) {
        while (streams.state() == KafkaStreams.State.REBALANCING && System.nanoTime() < deadline - SETTLE.toNanos() / 2) {
            sleep();
        }
        final KafkaStreams.State state = streams.state();
        if (!state.isRunningOrRebalancing()) {
            throw notRunning(state);
        }
    }

    /**
     * Kafka's metadata calls throw IllegalStateException once the client is shutting down (a
     * request that came in just before a SIGTERM): the same 503 as a request that comes after.
     */
    private <T> T metadata(final Supplier<T> call) {
        try {
            return call.get();
        } catch (final IllegalStateException e) {
            final KafkaStreams.State state = streams.state();
            if (state.isRunningOrRebalancing()) {
                throw e;
            }
            throw notRunning(state);
        }
    }

    private static QueryException notRunning(final KafkaStreams.State state) {
        return new QueryException(503, "The analyzer is " + state + ", not running.");
    }

    /**
     * Whom to ask for partition {@code p} of {@code store} at the {@code attempt}th try: the
     * active task first; after a failure, in turn each standby replica (which answers only when
     * caught up, see {@link LocalState#read}) and the active again; empty while no instance is
     * assigned the partition (during a rebalance).
     */
    private Optional<Target> targetFor(final String store, final int p, final int attempt) {
        final KeyQueryMetadata md = metadata(() -> streams.queryMetadataForKey(store, "", fixed(p)));
        if (md == null || KeyQueryMetadata.NOT_AVAILABLE.equals(md) || md.activeHost() == null || md.activeHost().port() < 0) {
            return Optional.empty();
        }
        final List<Target> candidates = new ArrayList<>();
        candidates.add(new Target(md.activeHost(), false));
        md.standbyHosts().forEach(h -> candidates.add(new Target(h, true)));
        return Optional.of(candidates.get(attempt % candidates.size()));
    }

    /** An instance, and whether it is asked as a standby replica (else it must answer from its active task). */
    private record Target(HostInfo host, boolean standby) {
    }

    /** A partitioner that names partition {@code p}: the metadata of a partition rather than of a key. */
    private static StreamPartitioner<String, Object> fixed(final int p) {
        return (topic, key, value, numPartitions) -> Optional.of(Set.of(p));
    }

    private static void pauseOrGiveUp(final long deadline, final String why) {
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_PAUSE_MS) > deadline) {
            throw new QueryException(503, "The state is moving between instances (a rebalance); try again in a few seconds: " + why + ".");
        }
        sleep();
    }

    private static void sleep() {
        try {
            Thread.sleep(RETRY_PAUSE_MS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QueryException(503, "Interrupted while waiting for the state to settle.");
        }
    }
}
