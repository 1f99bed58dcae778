package io.mailflow.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.avro.internal.StatsPartial;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class HeartbeatBroadcastTest {
    private static final int PARTITIONS = 6;

    @Test
    void heartbeatsGoToEveryPartition() {
        final HeartbeatBroadcast<ConnectorFailure> partitioner = new HeartbeatBroadcast<>(ConnectorFailure::getHeartbeat);
        assertEquals(Optional.of(Set.of(0, 1, 2, 3, 4, 5)),
            partitioner.partitions("connector-signals", "", TransientFailureRouter.heartbeat(0, 0), PARTITIONS));
        final HeartbeatBroadcast<StatsPartial> stats = new HeartbeatBroadcast<>(StatsPartial::getHeartbeat);
        assertEquals(Optional.of(Set.of(0, 1, 2, 3, 4, 5)), stats.partitions("stats-partials", "", StatsPartials.heartbeat(0, 0), PARTITIONS));
    }

    @Test
    void aConnectorsFailuresOfEveryCodeLandWhereItsQueueSnapshotsLand() {
        final HeartbeatBroadcast<ConnectorSignal> partitioner =
            new HeartbeatBroadcast<>(ConnectorSignals::isHeartbeat, ConnectorSignals::connectorId);
        for (final String connector : new String[] {"Outbound to Contoso", "To HQ", "Partner - Fabrikam", "unknown", "smtp"}) {
            // where the producer's default partitioner puts a record keyed by the connector
            final Set<Integer> byConnector = Set.of(BuiltInPartitioner.partitionForKey(
                new StringSerializer().serialize("connector-signals", connector), PARTITIONS));
            final ConnectorSignal snapshot = ConnectorSignals.queue(ConnectorQueueSnapshot.newBuilder().setConnectorId(connector)
                .setSourcePartition(2).setQueuedRecipients(3).setQueuedOverAge(0).setAsOf(Instant.EPOCH).build());
            assertEquals(Optional.of(byConnector), partitioner.partitions("connector-signals", connector, snapshot, PARTITIONS),
                connector + " snapshot");
            for (final String code : new String[] {"4.4.316", "4.4.315", "4.7.320"}) {
                final ConnectorSignal failure = ConnectorSignals.failure(ConnectorFailure.newBuilder().setConnectorId(connector)
                    .setStatusCode(code).setEventTime(0).build());
                assertEquals(Optional.of(byConnector), partitioner.partitions("connector-signals", connector + "|" + code, failure, PARTITIONS),
                    connector + " " + code);
            }
        }
    }

    @Test
    void failureHeartbeatsInsideConnectorSignalsGoToEveryPartition() {
        final HeartbeatBroadcast<ConnectorSignal> partitioner =
            new HeartbeatBroadcast<>(ConnectorSignals::isHeartbeat, ConnectorSignals::connectorId);
        assertEquals(Optional.of(Set.of(0, 1, 2, 3, 4, 5)), partitioner.partitions("connector-signals", "",
            ConnectorSignals.failure(TransientFailureRouter.heartbeat(1, 0)), PARTITIONS));
    }

    @Test
    void statsPartialsAreOtherwiseLeftToTheDefaultPartitioner() {
        final HeartbeatBroadcast<StatsPartial> stats = new HeartbeatBroadcast<>(StatsPartial::getHeartbeat);
        assertEquals(Optional.empty(), stats.partitions("stats-partials", "C|4.4.316",
            StatsPartials.empty("C", "4.4.316", null, 0, 300_000), PARTITIONS));
    }
}
