package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import static io.mailflow.detect.DetectionDriver.snapshot;
import static io.mailflow.detect.TestTraces.minutes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The test driver runs one input partition; here the connector's task gets the snapshots,
 * failures and heartbeats of two source partitions directly, in the orders connector-signals
 * could hand them over when one partition's traces task runs ahead of another's in event time.
 * Grace is 0 here, so an item is judged once both partitions' heartbeats are past it.
 */
@DisplayName("Connector monitor: backlog and failures across source partitions that are at different event times")
class BacklogAcrossPartitionsTest {
    private static final String CONTOSO = "Outbound to Contoso";
    private static final String SCOPE = "detect-backlog-partitions";

    private final DetectionConfig config = DetectionConfig.from(MailflowConfig.builder().defaults()
        .override("mailflow.detect.grace", "0s").override("mailflow.detect.source-partitions", "2").build());
    private ConnectorMonitorHarness monitor;

    @BeforeEach
    void start() {
        monitor = new ConnectorMonitorHarness(config, SCOPE);
    }

    @AfterAll
    static void dropRegistry() {
        ConnectorMonitorHarness.dropRegistry(SCOPE);
    }

    private void pipe(final ConnectorQueueSnapshot snapshot) {
        monitor.process(CONTOSO, ConnectorSignals.queue(snapshot));
    }

    private void failure(final String message, final Instant at) {
        final ConnectorFailure f = ConnectorFailure.newBuilder().setConnectorId(CONTOSO).setStatusCode("4.4.316").setSmtpReply("450")
            .setEventTime(at.toEpochMilli()).setMessageKey(message).setResponseText("450 4.4.316 Connection refused").build();
        monitor.process(CONTOSO + "|4.4.316", ConnectorSignals.failure(f));
    }

    /** A heartbeat one second past {@code at}: the partition has sent everything up to and including {@code at}. */
    private void heartbeat(final int sourcePartition, final Instant at) {
        final long t = at.toEpochMilli() + 1000;
        monitor.process("", ConnectorSignals.failure(TransientFailureRouter.heartbeat(sourcePartition, t)));
    }

    private void idle(final int sourcePartition, final Instant at) {
        final ConnectorFailure idle = TransientFailureRouter.heartbeat(sourcePartition, at.toEpochMilli());
        idle.setIdle(true);
        monitor.process("", ConnectorSignals.failure(idle));
    }

    private List<ConnectorAlert> sent() {
        return monitor.newAlerts();
    }

    private static List<AlertState> states(final List<ConnectorAlert> alerts) {
        return alerts.stream().map(ConnectorAlert::getState).toList();
    }

    @Test
    @DisplayName("A partition 40 min ahead in event time neither resolves the backlog early nor makes it fire twice")
    void aPartitionAheadInEventTimeWaitsForTheSlowerOne() {
        pipe(snapshot(CONTOSO, 0, 300, 150, minutes(60)));
        heartbeat(0, minutes(60));
        pipe(snapshot(CONTOSO, 1, 100, 60, minutes(60)));
        heartbeat(1, minutes(60));
        final List<ConnectorAlert> firing = sent();
        assertEquals(List.of(AlertState.FIRING), states(firing));
        assertEquals(minutes(60), firing.get(0).getEventTime());
        assertEquals(210, firing.get(0).getQueuedRecipients(), "150 + 60 over age at 60");

        // partition 0's queue has drained by 100, but partition 1 has only got to 60
        pipe(snapshot(CONTOSO, 0, 0, 0, minutes(100)));
        heartbeat(0, minutes(100));
        assertEquals(List.of(), sent(), "no RESOLVED while partition 1 has not reached 100");

        // at 65 the backlog is partition 0's as of 60 (it has nothing between 60 and 100) plus partition 1's as of 65
        pipe(snapshot(CONTOSO, 1, 300, 200, minutes(65)));
        heartbeat(1, minutes(65));
        final List<ConnectorAlert> at65 = sent();
        assertEquals(List.of(AlertState.UPDATED), states(at65), "the same backlog, still going at 65: no second FIRING");
        assertEquals(minutes(65), at65.get(0).getEventTime());
        assertEquals(350, at65.get(0).getQueuedRecipients());
        assertEquals(firing.get(0).getAlertId(), at65.get(0).getAlertId());

        // both drained at 100: resolved then, once partition 1 gets there
        pipe(snapshot(CONTOSO, 1, 0, 0, minutes(100)));
        assertEquals(List.of(), sent());
        heartbeat(1, minutes(100));
        final List<ConnectorAlert> at100 = sent();
        assertEquals(List.of(AlertState.RESOLVED), states(at100));
        assertEquals(minutes(100), at100.get(0).getEventTime());
        assertEquals(firing.get(0).getAlertId(), at100.get(0).getAlertId());
    }

    @Test
    @DisplayName("The sum never mixes times: one partition's 10:10 plus another's 10:00 is no moment's backlog")
    void aSumOfDifferentMomentsDoesNotFire() {
        heartbeat(0, minutes(0));
        heartbeat(1, minutes(0));
        pipe(snapshot(CONTOSO, 1, 150, 150, minutes(0)));
        heartbeat(1, minutes(1));
        // by 10 partition 1's backlog has shrunk to 90, but its snapshot is still on its way
        pipe(snapshot(CONTOSO, 0, 102, 102, minutes(10)));
        heartbeat(0, minutes(10));
        assertEquals(List.of(), sent(), "150 as of 0 plus 102 as of 10 is no moment's backlog");
        pipe(snapshot(CONTOSO, 1, 90, 90, minutes(10)));
        heartbeat(1, minutes(10));
        assertEquals(List.of(), sent(), "150 at 0 and 192 at 10: below the threshold at every moment");
    }

    @Test
    @DisplayName("Snapshots of one moment are judged together: a backlog moving between partitions does not resolve and refire")
    void snapshotsOfOneMomentAreJudgedTogether() {
        pipe(snapshot(CONTOSO, 0, 300, 250, minutes(60)));
        pipe(snapshot(CONTOSO, 1, 0, 0, minutes(60)));
        heartbeat(0, minutes(60));
        heartbeat(1, minutes(60));
        assertEquals(List.of(AlertState.FIRING), states(sent()));
        pipe(snapshot(CONTOSO, 0, 0, 0, minutes(65)));
        heartbeat(0, minutes(65));
        pipe(snapshot(CONTOSO, 1, 300, 250, minutes(65)));
        heartbeat(1, minutes(65));
        assertEquals(List.of(AlertState.UPDATED), states(sent()));
    }

    @Test
    @DisplayName("A partition that is behind holds everything back, however long it takes; one that reports itself idle does not")
    void onlyAnIdleReportLetsTheOthersGoOn() {
        heartbeat(0, minutes(0));
        heartbeat(1, minutes(0));
        pipe(snapshot(CONTOSO, 0, 400, 250, minutes(60)));
        heartbeat(0, minutes(61));
        // hours of wall clock pass: partition 1 is behind (a killed instance's, not reassigned yet)
        monitor.advanceWallClock(3_600_000);
        heartbeat(0, minutes(62));
        assertEquals(List.of(), sent(), "partition 1 is still at 0 and has not said it is idle");
        // its task says it is caught up with its end offset and quiet
        idle(1, minutes(0));
        final List<ConnectorAlert> alerts = sent();
        assertEquals(List.of(AlertState.FIRING), states(alerts));
        assertEquals(minutes(60), alerts.get(0).getEventTime());
    }

    @Test
    @DisplayName("A partition that has not reported at all holds everything back (the partition count is known)")
    void aPartitionNeverHeardOfHoldsBack() {
        pipe(snapshot(CONTOSO, 0, 400, 250, minutes(60)));
        heartbeat(0, minutes(90));
        assertEquals(List.of(), sent());
        heartbeat(1, minutes(90));
        assertEquals(List.of(AlertState.FIRING), states(sent()));
    }

    @Test
    @DisplayName("Failures arriving in any interleaving of the partitions give the same alerts, with the queue of their moment")
    void failuresInAnyInterleavingGiveTheSameAlerts() {
        final List<List<ConnectorAlert>> runs = new java.util.ArrayList<>();
        for (final boolean partitionOneFirst : List.of(false, true)) {
            start();
            final Runnable zero = () -> {
                pipe(snapshot(CONTOSO, 0, 40, 0, minutes(0)));
                for (int m = 0; m <= 20; m += 2) {
                    failure("<a" + m + "@x>", minutes(m));
                }
                heartbeat(0, minutes(60));
            };
            final Runnable one = () -> {
                pipe(snapshot(CONTOSO, 1, 7, 0, minutes(10)));
                for (int m = 1; m <= 21; m += 2) {
                    failure("<b" + m + "@x>", minutes(m));
                }
                heartbeat(1, minutes(60));
            };
            if (partitionOneFirst) {
                one.run();
                zero.run();
            } else {
                zero.run();
                one.run();
            }
            runs.add(sent());
        }
        assertEquals(List.of(AlertState.FIRING, AlertState.UPDATED, AlertState.RESOLVED), states(runs.get(0)));
        assertEquals(runs.get(0), runs.get(1), "same alerts whichever partition arrived first");
        final ConnectorAlert firing = runs.get(0).get(0);
        assertEquals(minutes(15), firing.getEventTime(), "15 min after the first failure, on the merged timeline");
        assertEquals(16, firing.getFailureCount());
        assertEquals(47, firing.getQueuedRecipients(), "both partitions' queues as of 15");
        assertEquals(minutes(51), runs.get(0).get(2).getEventTime(), "last failure 21 + quiet period 30");
    }
}
