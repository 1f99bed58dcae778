package io.mailflow.queue;

import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The queue of each connector as this task sees it: counts in one store (the value is the
 * snapshot itself), and an age index (connector, big-endian queued-since, recipient) whose first
 * entry per connector is the oldest queued recipient, so the oldest age stays exact as recipients
 * leave in any order. Connectors whose numbers changed are remembered in memory and emitted, one
 * snapshot each, at the next punctuation.
 */
final class ConnectorQueues {
    /** Connector id used when the trace names none, so those recipients are still counted. */
    static final String UNKNOWN_CONNECTOR = "unknown";
    /** Reserved key of the counts store holding the next grid point (no connector id starts with NUL). */
    private static final String GRID_KEY = "\u0000next-grid-point";
    private static final byte[] PRESENT = new byte[0];

    private final KeyValueStore<String, ConnectorQueueSnapshot> counts;
    private final KeyValueStore<Bytes, byte[]> ages;
    private final int partition;
    private final int maxDestinations;
    private final Set<String> changed = new LinkedHashSet<>();

    ConnectorQueues(final KeyValueStore<String, ConnectorQueueSnapshot> counts, final KeyValueStore<Bytes, byte[]> ages,
                    final int partition, final int maxDestinations) {
        this.counts = counts;
        this.ages = ages;
        this.partition = partition;
        this.maxDestinations = maxDestinations;
    }

    static String idOf(final String connectorId) {
        return connectorId == null || connectorId.isBlank() ? UNKNOWN_CONNECTOR : connectorId;
    }

    /** A recipient joins the connector's queue; its first attempt's error and destination are noted in the same write. */
    void enqueue(final String connector, final String recipientKey, final long queuedSince, final boolean overAge,
                 final String error, final String statusCode, final String destination, final long attemptTime) {
        final ConnectorQueueSnapshot s = load(connector);
        s.setQueuedRecipients(s.getQueuedRecipients() + 1);
        if (overAge) {
            s.setQueuedOverAge(s.getQueuedOverAge() + 1);
        }
        applyAttempt(s, error, statusCode, destination, attemptTime);
        ages.put(ageKey(connector, queuedSince, recipientKey), PRESENT);
        markChanged(connector, s);
    }

    void dequeue(final String connector, final String recipientKey, final long queuedSince, final boolean overAge) {
        final ConnectorQueueSnapshot s = counts.get(connector);
        ages.put(ageKey(connector, queuedSince, recipientKey), null); // delete() would read the entry to return it
        if (s == null) {
            return;
        }
        s.setQueuedRecipients(Math.max(0, s.getQueuedRecipients() - 1));
        if (overAge) {
            s.setQueuedOverAge(Math.max(0, s.getQueuedOverAge() - 1));
        }
        markChanged(connector, s);
    }

    /** A recipient's queued-since moved earlier (an older deferral or RECEIVE arrived late). */
    void requeue(final String connector, final String recipientKey, final long oldSince, final long newSince) {
        ages.put(ageKey(connector, oldSince, recipientKey), null);
        ages.put(ageKey(connector, newSince, recipientKey), PRESENT);
        markChanged(connector, load(connector));
    }

    void crossedBacklogAge(final String connector) {
        final ConnectorQueueSnapshot s = load(connector);
        s.setQueuedOverAge(s.getQueuedOverAge() + 1);
        markChanged(connector, s);
    }

    /**
     * The latest error and the recently attempted destinations of the connector. Every attempt
     * marks the connector changed, even one that repeats the last error: whether a snapshot goes
     * out at a grid point must depend only on what happened on the connector in that interval, so
     * that one partition and several partitions report at the same grid points.
     */
    void noteAttempt(final String connector, final String error, final String statusCode, final String destination,
                     final long attemptTime) {
        final ConnectorQueueSnapshot s = load(connector);
        applyAttempt(s, error, statusCode, destination, attemptTime);
        markChanged(connector, s);
    }

    /**
     * The latest error is the one with the latest time, ties by the greater text; destinations are
     * the latest {@link RecentDestinations}. The same rules merge the partitions' snapshots, so the
     * connector's figures do not depend on how its recipients spread over partitions.
     */
    private boolean applyAttempt(final ConnectorQueueSnapshot s, final String error, final String statusCode, final String destination,
                                 final long attemptTime) {
        boolean changedAny = false;
        if (error != null && (s.getLastError() == null || attemptTime > s.getLastErrorTime()
            || attemptTime == s.getLastErrorTime() && error.compareTo(s.getLastError()) > 0)) {
            changedAny = !(error.equals(s.getLastError()) && java.util.Objects.equals(statusCode, s.getLastStatusCode())
                && attemptTime == s.getLastErrorTime());
            s.setLastError(error);
            s.setLastStatusCode(statusCode);
            s.setLastErrorTime(attemptTime);
        }
        final RecentDestinations recent = new RecentDestinations(s.getDestinations(), s.getDestinationTimes(), maxDestinations);
        if (recent.note(destination, attemptTime)) {
            s.setDestinations(new ArrayList<>(recent.names()));
            s.setDestinationTimes(new ArrayList<>(recent.times()));
            changedAny = true;
        }
        return changedAny;
    }

    /**
     * A changed connector is marked in the store too (asOf set to the epoch until it is reported),
     * so a task restarted from its changelog reports exactly the connectors that changed since the
     * last grid point, as the run that was not interrupted does.
     */
    private void markChanged(final String connector, final ConnectorQueueSnapshot s) {
        s.setAsOf(Instant.EPOCH);
        counts.put(connector, s);
        changed.add(connector);
    }

    /** After a restart: the connectors whose change was not reported yet. */
    void restoreChanged() {
        try (KeyValueIterator<String, ConnectorQueueSnapshot> it = counts.all()) {
            while (it.hasNext()) {
                final KeyValue<String, ConnectorQueueSnapshot> entry = it.next();
                if (!entry.key.equals(GRID_KEY) && Instant.EPOCH.equals(entry.value.getAsOf())) {
                    changed.add(entry.key);
                }
            }
        }
    }

    /** The next grid point at which changed connectors are reported, kept with the counts (so it survives a restart); MIN when none yet. */
    long nextGridPoint() {
        final ConnectorQueueSnapshot g = counts.get(GRID_KEY);
        return g == null ? Long.MIN_VALUE : g.getAsOf().toEpochMilli();
    }

    void setNextGridPoint(final long gridPoint) {
        final ConnectorQueueSnapshot g = load(GRID_KEY);
        g.setAsOf(Instant.ofEpochMilli(gridPoint));
        counts.put(GRID_KEY, g);
    }

    /**
     * Snapshots of the connectors that changed since the last call. A connector whose queue is
     * empty is reported with zeros (so the backlog monitor sees it drain) and kept, with its latest
     * error and destinations: one small entry per connector, and the figures of later snapshots
     * then continue the connector's history as one partition would.
     */
    List<ConnectorQueueSnapshot> drainChanged(final long asOf) {
        final List<ConnectorQueueSnapshot> out = new ArrayList<>(changed.size());
        for (final String connector : changed) {
            final ConnectorQueueSnapshot s = counts.get(connector);
            if (s == null) {
                continue;
            }
            s.setOldestQueuedTime(Reports.at(oldestQueuedTime(connector)));
            s.setAsOf(Instant.ofEpochMilli(asOf));
            counts.put(connector, s);
            out.add(s);
        }
        changed.clear();
        return out;
    }

    Long oldestQueuedTime(final String connector) {
        final byte[] prefix = prefix(connector);
        final byte[] end = prefix.clone();
        end[end.length - 1] = 1; // the separator NUL + 1: just past every key of this connector
        try (KeyValueIterator<Bytes, byte[]> it = ages.range(Bytes.wrap(prefix), Bytes.wrap(end))) {
            if (!it.hasNext()) {
                return null;
            }
            final KeyValue<Bytes, byte[]> first = it.next();
            return ByteBuffer.wrap(first.key.get(), prefix.length, Long.BYTES).getLong();
        }
    }

    private ConnectorQueueSnapshot load(final String connector) {
        final ConnectorQueueSnapshot s = counts.get(connector);
        if (s != null) {
            return s;
        }
        return ConnectorQueueSnapshot.newBuilder()
            .setConnectorId(connector)
            .setSourcePartition(partition)
            .setQueuedRecipients(0)
            .setQueuedOverAge(0)
            .setOldestQueuedTime(null)
            .setDestinations(new ArrayList<>())
            .setDestinationTimes(new ArrayList<>())
            .setLastErrorTime(0L)
            .setAsOf(Instant.EPOCH)
            .build();
    }

    private static byte[] prefix(final String connector) {
        final byte[] c = connector.getBytes(StandardCharsets.UTF_8);
        final byte[] p = new byte[c.length + 1];
        System.arraycopy(c, 0, p, 0, c.length);
        return p; // trailing NUL separates "a" from "ab"
    }

    private static Bytes ageKey(final String connector, final long queuedSince, final String recipientKey) {
        final byte[] p = prefix(connector);
        final byte[] rk = recipientKey.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(p.length + Long.BYTES + rk.length).put(p).putLong(Math.max(0, queuedSince)).put(rk).array());
    }
}
