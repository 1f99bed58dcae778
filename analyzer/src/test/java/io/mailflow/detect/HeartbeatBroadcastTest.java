package io.mailflow.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.StatsPartial;
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
            partitioner.partitions("failures-by-connector", "", TransientFailureRouter.heartbeat(0, 0), PARTITIONS));
        final HeartbeatBroadcast<StatsPartial> stats = new HeartbeatBroadcast<>(StatsPartial::getHeartbeat);
        assertEquals(Optional.of(Set.of(0, 1, 2, 3, 4, 5)), stats.partitions("stats-partials", "", StatsPartials.heartbeat(0, 0), PARTITIONS));
    }

    @Test
    void aConnectorsFailuresOfEveryCodeLandWhereItsQueueSnapshotsLand() {
        final HeartbeatBroadcast<ConnectorFailure> partitioner =
            new HeartbeatBroadcast<>(ConnectorFailure::getHeartbeat, ConnectorFailure::getConnectorId);
        for (final String connector : new String[] {"Outbound to Contoso", "To HQ", "Partner - Fabrikam", "unknown", "smtp"}) {
            // where the producer puts a snapshot keyed by the connector (queue-by-connector uses the default)
            final Set<Integer> queuePartition = Set.of(BuiltInPartitioner.partitionForKey(
                new StringSerializer().serialize("queue-by-connector", connector), PARTITIONS));
            for (final String code : new String[] {"4.4.316", "4.4.315", "4.7.320"}) {
                final ConnectorFailure failure = ConnectorFailure.newBuilder().setConnectorId(connector).setStatusCode(code)
                    .setEventTime(0).build();
                assertEquals(Optional.of(queuePartition), partitioner.partitions("failures-by-connector", connector + "|" + code, failure, PARTITIONS),
                    connector + " " + code);
            }
        }
    }

    @Test
    void statsPartialsAreOtherwiseLeftToTheDefaultPartitioner() {
        final HeartbeatBroadcast<StatsPartial> stats = new HeartbeatBroadcast<>(StatsPartial::getHeartbeat);
        assertEquals(Optional.empty(), stats.partitions("stats-partials", "C|4.4.316",
            StatsPartials.empty("C", "4.4.316", null, 0, 300_000), PARTITIONS));
    }
}
