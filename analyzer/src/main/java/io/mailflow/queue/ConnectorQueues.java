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
                 final String error, final String statusCode, final String destination) {
        final ConnectorQueueSnapshot s = load(connector);
        s.setQueuedRecipients(s.getQueuedRecipients() + 1);
        if (overAge) {
            s.setQueuedOverAge(s.getQueuedOverAge() + 1);
        }
        applyAttempt(s, error, statusCode, destination);
        counts.put(connector, s);
        ages.put(ageKey(connector, queuedSince, recipientKey), PRESENT);
        changed.add(connector);
    }

    void dequeue(final String connector, final String recipientKey, final long queuedSince, final boolean overAge) {
        final ConnectorQueueSnapshot s = counts.get(connector);
        ages.delete(ageKey(connector, queuedSince, recipientKey));
        if (s == null) {
            return;
        }
        s.setQueuedRecipients(Math.max(0, s.getQueuedRecipients() - 1));
        if (overAge) {
            s.setQueuedOverAge(Math.max(0, s.getQueuedOverAge() - 1));
        }
        counts.put(connector, s);
        changed.add(connector);
    }

    /** A recipient's queued-since moved earlier (an older deferral or RECEIVE arrived late). */
    void requeue(final String connector, final String recipientKey, final long oldSince, final long newSince) {
        ages.delete(ageKey(connector, oldSince, recipientKey));
        ages.put(ageKey(connector, newSince, recipientKey), PRESENT);
        changed.add(connector);
    }

    void crossedBacklogAge(final String connector) {
        final ConnectorQueueSnapshot s = load(connector);
        s.setQueuedOverAge(s.getQueuedOverAge() + 1);
        counts.put(connector, s);
        changed.add(connector);
    }

    /**
     * The latest error and destination seen on the connector (from the newest deferral). During an
     * outage most deferrals repeat the last error to the last destination: then nothing is written.
     */
    void noteAttempt(final String connector, final String error, final String statusCode, final String destination) {
        final ConnectorQueueSnapshot s = load(connector);
        if (applyAttempt(s, error, statusCode, destination)) {
            counts.put(connector, s);
            changed.add(connector);
        }
    }

    private boolean applyAttempt(final ConnectorQueueSnapshot s, final String error, final String statusCode, final String destination) {
        boolean changedAny = false;
        if (error != null && !(error.equals(s.getLastError()) && java.util.Objects.equals(statusCode, s.getLastStatusCode()))) {
            s.setLastError(error);
            s.setLastStatusCode(statusCode);
            changedAny = true;
        }
        final List<String> current = s.getDestinations();
        if (destination != null && (current.isEmpty() || !destination.equals(current.get(current.size() - 1)))) {
            final List<String> destinations = new ArrayList<>(current);
            destinations.remove(destination);
            destinations.add(destination);
            while (destinations.size() > maxDestinations) {
                destinations.remove(0);
            }
            s.setDestinations(destinations);
            changedAny = true;
        }
        return changedAny;
    }

    /** After a restart the in-memory change set is gone: report every connector once. */
    void markAllChanged() {
        try (KeyValueIterator<String, ConnectorQueueSnapshot> it = counts.all()) {
            while (it.hasNext()) {
                changed.add(it.next().key);
            }
        }
    }

    /**
     * Snapshots of the connectors that changed since the last call. A connector whose queue is
     * empty is reported once with zeros (so the backlog monitor sees it drain) and then forgotten.
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
            out.add(s);
            if (s.getQueuedRecipients() == 0) {
                counts.delete(connector);
            }
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
