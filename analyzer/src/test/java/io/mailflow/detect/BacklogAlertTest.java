package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import static io.mailflow.detect.DetectionDriver.snapshot;
import static io.mailflow.detect.TestTraces.minutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.Severity;
import io.mailflow.classify.ConnectorInfo;
import io.mailflow.classify.ConnectorKind;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Queue backlog: 'Messages have been delayed' at 200 recipients queued over an hour")
class BacklogAlertTest {
    private static final String HQ = "To HQ";
    private DetectionDriver driver;

    @BeforeEach
    void start() {
        driver = new DetectionDriver(DetectionConfig.defaults(), ConnectorCatalog.of(
            new ConnectorInfo(HQ, ConnectorKind.ON_PREMISES_SMART_HOST, "Head office Exchange", "IT operations", "it@fabrikam.example")));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private List<AlertState> states() {
        return driver.alerts().stream().map(ConnectorAlert::getState).toList();
    }

    @Test
    void oneHundredNinetyNineRecipientsOverAgeAreBelowTheThreshold() {
        driver.pipe(snapshot(HQ, 0, 400, 120, minutes(60)));
        driver.pipe(snapshot(HQ, 1, 100, 79, minutes(61)));
        driver.advanceEventTime(minutes(61));
        assertEquals(List.of(), driver.alerts());
    }

    @Test
    void twoHundredSummedOverPartitionsFireAndFallingBelowResolves() {
        driver.pipe(snapshot(HQ, 0, 400, 120, minutes(60)));
        driver.pipe(snapshot(HQ, 1, 100, 79, minutes(61)));
        driver.pipe(snapshot(HQ, 1, 101, 80, minutes(62)));
        assertEquals(List.of(), driver.alerts(), "nothing is judged before every source partition has reached the snapshots' time");
        driver.advanceEventTime(minutes(62));
        List<ConnectorAlert> alerts = driver.alerts();
        assertEquals(1, alerts.size());
        final ConnectorAlert firing = alerts.get(0);
        assertEquals(AlertType.QUEUE_BACKLOG, firing.getType());
        assertEquals(AlertState.FIRING, firing.getState());
        assertEquals(Severity.HIGH, firing.getSeverity());
        assertEquals(200, firing.getQueuedRecipients());
        assertEquals(minutes(62), firing.getEventTime());
        assertEquals("4.4.316", firing.getStatusCode());
        assertEquals(FailureCategory.CONNECTION_REFUSED, firing.getCategory());
        assertTrue(firing.getSummary().startsWith("Head office Exchange: messages have been delayed: 200 recipients queued longer than 60 min"),
            firing.getSummary());
        assertTrue(firing.getSummary().contains("contact it@fabrikam.example"), firing.getSummary());
        assertTrue(firing.getRemediation().contains("firewall"), firing.getRemediation());

        // a repeated snapshot of the same partition replaces, it does not add
        driver.pipe(snapshot(HQ, 1, 101, 80, minutes(63)));
        driver.advanceEventTime(minutes(63));
        assertEquals(1, driver.alerts().size());

        driver.pipe(snapshot(HQ, 0, 300, 119, minutes(64)));
        driver.advanceEventTime(minutes(64));
        alerts = driver.alerts();
        assertEquals(2, alerts.size());
        final ConnectorAlert resolved = alerts.get(1);
        assertEquals(AlertState.RESOLVED, resolved.getState());
        assertEquals(199, resolved.getQueuedRecipients());
        assertEquals(firing.getAlertId(), resolved.getAlertId());
        assertEquals(minutes(64), resolved.getEventTime());
        assertEquals("Head office Exchange: backlog below the threshold: 199 recipients queued longer than 60 min "
            + "(threshold 200, 401 queued in all).", resolved.getSummary(), "resolved is not empty: the on-call hears what still waits");

        // on-call fields: the episode starts when it fired, ends when it resolved, one label set throughout
        final java.util.Map<String, String> labels = java.util.Map.of("alertname", "MailflowQueueBacklog", "connector", HQ,
            "severity", "high");
        assertEquals(minutes(62), firing.getStartsAt());
        assertEquals(null, firing.getEndsAt());
        assertEquals(labels, firing.getLabels());
        assertEquals(minutes(62), resolved.getStartsAt(), "the RESOLVED record still says when the backlog began");
        assertEquals(minutes(64), resolved.getEndsAt());
        assertEquals(labels, resolved.getLabels(), "the last error's code is not a label: it changes while the backlog lasts");
    }

    @Test
    void whileFiringUpdatesComeAtMostEveryFiveMinutes() {
        driver.pipe(snapshot(HQ, 0, 400, 250, minutes(60)));
        for (int m = 61; m <= 72; m++) {
            driver.pipe(snapshot(HQ, 0, 400, 250 + m, minutes(m)));
        }
        driver.advanceEventTime(minutes(72));
        final List<ConnectorAlert> alerts = driver.alerts();
        assertEquals(List.of(AlertState.FIRING, AlertState.UPDATED, AlertState.UPDATED), alerts.stream().map(ConnectorAlert::getState).toList());
        assertEquals(List.of(minutes(60), minutes(65), minutes(70)), alerts.stream().map(ConnectorAlert::getEventTime).toList(),
            "each snapshot judged at its own time, though all were applied on one heartbeat");
    }

    @Test
    void anOlderSnapshotOfAPartitionDoesNotOverwriteANewerOne() {
        driver.pipe(snapshot(HQ, 0, 400, 250, minutes(60)));
        driver.advanceEventTime(minutes(60));
        driver.pipe(snapshot(HQ, 0, 0, 0, minutes(50)));
        driver.advanceEventTime(minutes(61));
        assertEquals(List.of(AlertState.FIRING), states());
    }

    @Test
    void snapshotsOfOneMomentAreJudgedTogether() {
        driver.pipe(snapshot(HQ, 0, 300, 250, minutes(60)));
        driver.pipe(snapshot(HQ, 1, 0, 0, minutes(60)));
        driver.advanceEventTime(minutes(60));
        // at 65 the backlog moved from partition 0's recipients to partition 1's: still 250 in all;
        // taken one at a time, partition 0's snapshot alone would resolve and partition 1's refire
        driver.pipe(snapshot(HQ, 0, 0, 0, minutes(65)));
        driver.pipe(snapshot(HQ, 1, 300, 250, minutes(65)));
        driver.advanceEventTime(minutes(65));
        assertEquals(List.of(AlertState.FIRING, AlertState.UPDATED), states());
    }
}
