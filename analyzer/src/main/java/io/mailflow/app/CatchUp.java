package io.mailflow.app;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * When the embedded analyzer has caught up, decided from successive polls of the broker, without
 * any clock of its own: the caller says when each poll was taken.
 *
 * <p>One poll holds the committed offsets of the analyzer's consumer group, the end offsets (read
 * committed) of every topic it consumes (the traces topic and its repartition topics) and the end
 * offsets of the output topics. A poll is <b>caught up</b> when every input partition that holds
 * anything has a committed offset at its end offset. With exactly-once every output record, every
 * repartitioned record and every offset commit of one task's transaction become visible together,
 * so a caught-up poll means every record has been processed and its results are readable.
 *
 * <p>Complete is the second caught-up poll in a row that shows exactly the same offsets (committed,
 * input ends, output ends), and at least {@code extraQuiet} after the first of them. The second
 * poll covers the moment between a transaction's offsets becoming visible and its records' end
 * offsets moving (the broker writes the commit markers one partition after the other), and it is
 * the check that the output topics have stopped growing. With {@code extraQuiet} zero, completion
 * waits for nothing but the next poll.
 */
final class CatchUp {
    /** One poll of the broker. */
    record Poll(Map<TopicPartition, Long> committed, Map<TopicPartition, Long> inputEnds, Map<TopicPartition, Long> outputEnds) {
        /** Every input partition with records has its committed offset at (or past) its end offset. */
        boolean caughtUp() {
            return inputEnds.entrySet().stream().allMatch(e -> e.getValue() == 0
                || committed.getOrDefault(e.getKey(), 0L) >= e.getValue());
        }

        long committedOf(final String topic) {
            return inputEnds.entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
                .mapToLong(e -> Math.min(e.getValue(), committed.getOrDefault(e.getKey(), 0L))).sum();
        }

        long endOf(final String topic) {
            return inputEnds.entrySet().stream().filter(e -> e.getKey().topic().equals(topic)).mapToLong(Map.Entry::getValue).sum();
        }

        long outputRecords() {
            return outputEnds.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final long extraQuietNanos;
    private Poll previous;
    /** When the current run of identical caught-up polls began (nanos), or -1. */
    private long stableSince = -1;

    CatchUp(final Duration extraQuiet) {
        this.extraQuietNanos = extraQuiet.isNegative() ? 0 : extraQuiet.toNanos();
    }

    /** Takes a poll made at {@code nowNanos}; true once the analyzer counts as complete. */
    boolean complete(final Poll poll, final long nowNanos) {
        final boolean steady = poll.caughtUp() && poll.equals(previous);
        if (!poll.caughtUp()) {
            stableSince = -1;
        } else if (!steady) {
            stableSince = nowNanos;
        }
        previous = poll;
        return steady && nowNanos - stableSince >= extraQuietNanos;
    }

    /** How long the polls have been caught up and unchanged; zero while something moves. */
    Duration steadyFor(final long nowNanos) {
        return stableSince < 0 ? Duration.ZERO : Duration.ofNanos(nowNanos - stableSince);
    }
}
