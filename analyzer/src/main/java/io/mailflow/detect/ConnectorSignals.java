package io.mailflow.detect;

import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.ConnectorSignal;

/**
 * The records on connector-signals: transient failures (and heartbeats) and queue snapshots in
 * one topic, so a connector's task sees them in the order the traces task emitted them. With two
 * topics, which of a failure and the snapshot written just before it reached the connector's
 * task first would depend on when each topic's records became visible.
 */
final class ConnectorSignals {
    private ConnectorSignals() {
    }

    static ConnectorSignal failure(final ConnectorFailure failure) {
        return ConnectorSignal.newBuilder().setFailure(failure).build();
    }

    static ConnectorSignal queue(final ConnectorQueueSnapshot snapshot) {
        return ConnectorSignal.newBuilder().setQueueSnapshot(snapshot).build();
    }

    static boolean isFailure(final ConnectorSignal signal) {
        return signal != null && signal.getFailure() != null;
    }

    static boolean isQueue(final ConnectorSignal signal) {
        return signal != null && signal.getQueueSnapshot() != null;
    }

    static boolean isHeartbeat(final ConnectorSignal signal) {
        return isFailure(signal) && signal.getFailure().getHeartbeat();
    }

    /** The connector a signal belongs to: its partition key, so a connector's failures of every code land with its snapshots. */
    static String connectorId(final ConnectorSignal signal) {
        if (signal.getFailure() != null) {
            return signal.getFailure().getConnectorId();
        }
        return signal.getQueueSnapshot() == null ? null : signal.getQueueSnapshot().getConnectorId();
    }
}
