package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import static io.mailflow.detect.TestTraces.deferral;
import static io.mailflow.detect.TestTraces.delivery;
import static io.mailflow.detect.TestTraces.minutes;
import static io.mailflow.detect.TestTraces.permanentFailure;
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
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Connector failure episodes (defaults: 30 min quiet, fire after 15 min and 5 failures, update every 5 min)")
class FailureEpisodeTest {
    private static final String CONTOSO = "Outbound to Contoso";
    private static final String HQ = "To HQ";
    private static final String REFUSED = "4.4.316";
    private static final String TIMED_OUT = "4.4.315";

    private DetectionDriver driver;
    private int messages;

    @BeforeEach
    void start() {
        driver = new DetectionDriver(DetectionConfig.defaults(), ConnectorCatalog.of(
            new ConnectorInfo(CONTOSO, ConnectorKind.PARTNER_ORGANIZATION, "Contoso", null, "ops@contoso.com")));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void failAt(final String connector, final String code, final double... atMinutes) {
        for (final double m : atMinutes) {
            driver.pipe(deferral(connector, code, minutes(m), "<m" + (messages++) + "@fabrikam.example>"));
        }
    }

    private List<ConnectorAlert> alerts(final AlertState state) {
        driver.settle();
        return driver.alerts().stream().filter(a -> a.getState() == state).collect(Collectors.toList());
    }

    @Test
    void fiveFailuresOverFifteenMinutesFireOnceWithAnActionableSummary() {
        failAt(CONTOSO, REFUSED, 0, 4, 8, 12, 15);
        driver.settle();
        final List<ConnectorAlert> all = driver.alerts();
        assertEquals(1, all.size(), () -> "one FIRING: " + all);
        final ConnectorAlert firing = all.get(0);
        assertEquals(AlertState.FIRING, firing.getState());
        assertEquals(AlertType.CONNECTOR_FAILURE, firing.getType());
        assertEquals(CONTOSO, firing.getConnectorId());
        assertEquals(REFUSED, firing.getStatusCode());
        assertEquals(FailureCategory.CONNECTION_REFUSED, firing.getCategory());
        assertEquals(Severity.HIGH, firing.getSeverity());
        assertEquals(minutes(15), firing.getEventTime(), "fires at the failure that completed the rule");
        assertEquals(minutes(0), firing.getFirstFailureTime());
        assertEquals(5, firing.getFailureCount());
        assertEquals(5, firing.getAffectedMessages());
        assertEquals(CONTOSO + "|" + REFUSED + "|" + minutes(0), firing.getAlertId());
        assertEquals(List.of("mail.contoso.com 203.0.113.10"), firing.getDestinations());
        final String summary = firing.getSummary();
        assertTrue(summary.startsWith("Contoso: 4.4.316 connection refused for 15 min, 5 failures on 5 messages"), summary);
        assertTrue(summary.contains("destination mail.contoso.com 203.0.113.10"), summary);
        assertTrue(summary.contains("The error comes from your partner Contoso: contact ops@contoso.com."), summary);
        assertTrue(firing.getRemediation().contains("contact ops@contoso.com"), firing.getRemediation());
    }

    @Test
    void fourFailuresOverFifteenMinutesAreNotEnough() {
        failAt(CONTOSO, REFUSED, 0, 5, 10, 15);
        assertEquals(List.of(), driver.alerts());
        failAt(CONTOSO, REFUSED, 16);
        assertEquals(1, alerts(AlertState.FIRING).size(), "the fifth failure completes the rule");
    }

    @Test
    void fiveFailuresWithinFourteenMinutesAreNotYetAnEpisodeWorthFiring() {
        failAt(CONTOSO, REFUSED, 0, 3, 7, 10, 14);
        assertEquals(List.of(), driver.alerts());
        failAt(CONTOSO, REFUSED, 15);
        final List<ConnectorAlert> firing = alerts(AlertState.FIRING);
        assertEquals(1, firing.size());
        assertEquals(minutes(15), firing.get(0).getEventTime());
        assertEquals(6, firing.get(0).getFailureCount());
    }

    @Test
    @DisplayName("on-call fields: startsAt the first failure, endsAt the resolve time, the same identifying labels in every state")
    void onCallFieldsComeFromTheEpisode() {
        failAt(CONTOSO, REFUSED, 0, 4, 8, 12, 15, 21);
        failAt(CONTOSO, REFUSED, 21 + 31);
        driver.settle();
        final List<ConnectorAlert> episode = driver.alerts().stream()
            .filter(a -> a.getAlertId().equals(CONTOSO + "|" + REFUSED + "|" + minutes(0))).toList();
        assertEquals(List.of(AlertState.FIRING, AlertState.UPDATED, AlertState.RESOLVED),
            episode.stream().map(ConnectorAlert::getState).toList());
        final java.util.Map<String, String> labels = java.util.Map.of("alertname", "MailflowConnectorFailure",
            "connector", CONTOSO, "status_code", REFUSED, "category", "CONNECTION_REFUSED", "severity", "high");
        for (final ConnectorAlert a : episode) {
            assertEquals(minutes(0), a.getStartsAt(), a.getState() + " starts at the first failure");
            assertEquals(labels, a.getLabels(), a.getState() + ": labels identify the episode; severity stays the firing one");
        }
        assertEquals(null, episode.get(0).getEndsAt(), "no end while firing");
        assertEquals(null, episode.get(1).getEndsAt(), "no end while firing");
        assertEquals(minutes(51), episode.get(2).getEndsAt(), "ends when resolved: last failure + quiet period");
        assertEquals(episode.get(2).getEventTime(), episode.get(2).getEndsAt());
    }

    @Test
    void aGapOf29MinutesContinuesTheEpisode() {
        failAt(CONTOSO, REFUSED, 0, 5, 10, 15);
        failAt(CONTOSO, REFUSED, 15 + 29);
        // 5 failures spanning 44 min: one episode, fires on the fifth
        assertEquals(1, alerts(AlertState.FIRING).size());
        assertEquals(List.of(), alerts(AlertState.RESOLVED));
    }

    @Test
    void aGapOf31MinutesEndsTheEpisodeAndTheLaterFailureShowsIt() {
        failAt(CONTOSO, REFUSED, 0, 4, 8, 12, 15);
        failAt(CONTOSO, REFUSED, 15 + 31);
        final List<ConnectorAlert> resolved = alerts(AlertState.RESOLVED);
        assertEquals(1, resolved.size());
        assertEquals(minutes(45), resolved.get(0).getEventTime(), "resolved when the quiet period ended, in event time");
        assertEquals(CONTOSO + "|" + REFUSED + "|" + minutes(0), resolved.get(0).getAlertId(), "same alertId as the FIRING");
        assertEquals(Severity.INFO, resolved.get(0).getSeverity());
        // the new failure starts a new episode, which has to earn its own FIRING
        failAt(CONTOSO, REFUSED, 50, 55, 60);
        assertEquals(1, alerts(AlertState.FIRING).size());
        failAt(CONTOSO, REFUSED, 61);
        final List<ConnectorAlert> firing = alerts(AlertState.FIRING);
        assertEquals(2, firing.size());
        assertEquals(CONTOSO + "|" + REFUSED + "|" + minutes(46), firing.get(1).getAlertId());
        assertEquals(5, firing.get(1).getFailureCount(), "counts start again with the new episode");
    }

    @Test
    void withoutFurtherFailuresStreamTimeResolvesTheEpisodeAfterTheQuietPeriod() {
        failAt(CONTOSO, REFUSED, 0, 4, 8, 12, 15);
        // healthy traffic elsewhere keeps stream time moving (heartbeats reach the detector)
        for (int m = 16; m <= 45; m++) {
            driver.pipe(delivery(HQ, minutes(m), "<ok" + m + "@fabrikam.example>"));
        }
        assertEquals(List.of(), driver.alerts().stream().filter(a -> a.getState() == AlertState.RESOLVED).toList(),
            "not before the quiet period plus grace (1 min) has passed on every input partition");
        for (int m = 46; m <= 48; m++) {
            driver.pipe(delivery(HQ, minutes(m), "<ok" + m + "@fabrikam.example>"));
        }
        final List<ConnectorAlert> resolved = alerts(AlertState.RESOLVED);
        assertEquals(1, resolved.size());
        assertEquals(minutes(45), resolved.get(0).getEventTime(), "the same event time as when a later failure shows the gap");
        assertTrue(resolved.get(0).getSummary().contains("resolved"), resolved.get(0).getSummary());
    }

    @Test
    void anIntermittentPatternThatFails75PercentFiresOnceAndNeverFlaps() {
        // three hours of attempts every 2 minutes: three of every four fail, the fourth gets through
        for (int i = 0; i < 90; i++) {
            final double m = i * 2;
            if (i % 4 == 3) {
                driver.pipe(delivery(CONTOSO, minutes(m), "<ok" + i + "@fabrikam.example>"));
            } else {
                failAt(CONTOSO, REFUSED, m);
            }
        }
        assertEquals(1, alerts(AlertState.FIRING).size());
        assertEquals(List.of(), alerts(AlertState.RESOLVED), "successes in between do not end the episode");
        final List<ConnectorAlert> all = driver.alerts();
        assertEquals(1, all.stream().map(ConnectorAlert::getAlertId).distinct().count(), "one alert id throughout");
    }

    @Test
    void updatesComeAtMostEveryFiveMinutesWithCurrentCounts() {
        for (int m = 0; m <= 60; m++) {
            failAt(CONTOSO, REFUSED, m);
        }
        final List<ConnectorAlert> all = driver.alerts();
        assertEquals(AlertState.FIRING, all.get(0).getState());
        assertEquals(minutes(15), all.get(0).getEventTime());
        final List<ConnectorAlert> updates = alerts(AlertState.UPDATED);
        // firing at 15, then updates at 20, 25, ..., 60
        assertEquals(9, updates.size(), () -> "updates: " + updates.stream().map(ConnectorAlert::getEventTime).toList());
        long previousCount = all.get(0).getFailureCount();
        java.time.Instant previous = all.get(0).getEventTime();
        for (final ConnectorAlert update : updates) {
            assertEquals(5, java.time.Duration.between(previous, update.getEventTime()).toMinutes());
            assertTrue(update.getFailureCount() > previousCount, "counts grow with each update");
            previousCount = update.getFailureCount();
            previous = update.getEventTime();
        }
        assertEquals(61, updates.get(updates.size() - 1).getFailureCount());
    }

    @Test
    void connectorsAndCodesInterleavedAreSeparateEpisodes() {
        for (int m = 0; m <= 20; m += 4) {
            failAt(CONTOSO, REFUSED, m);       // 6 failures over 20 min: fires
            failAt(HQ, REFUSED, m + 1);       // 6 failures over 20 min: fires
            if (m <= 8) {
                failAt(CONTOSO, TIMED_OUT, m + 2); // 3 failures: does not
            }
        }
        final List<ConnectorAlert> firing = alerts(AlertState.FIRING);
        assertEquals(2, firing.size(), () -> "firing: " + firing);
        assertEquals(List.of(CONTOSO + "|" + REFUSED, HQ + "|" + REFUSED),
            firing.stream().map(a -> a.getConnectorId() + "|" + a.getStatusCode()).sorted().toList());
        // HQ failed at 1, 5, 9, 13, 17: the fifth failure is 16 min after the first
        final ConnectorAlert hq = firing.stream().filter(a -> a.getConnectorId().equals(HQ)).findFirst().orElseThrow();
        assertEquals(5, hq.getFailureCount(), "HQ's count is its own, not mixed with Contoso's");
        assertEquals(minutes(1), hq.getFirstFailureTime());
        assertEquals(minutes(17), hq.getEventTime());
    }

    @Test
    void outOfOrderFailuresStillCountIntoTheEpisode() {
        failAt(CONTOSO, REFUSED, 15, 0, 10);
        final double lateBefore = TestMetrics.late(ConnectorMonitor.LATE_STAGE);
        failAt(CONTOSO, REFUSED, 5, 12);
        final List<ConnectorAlert> firing = alerts(AlertState.FIRING);
        assertEquals(1, firing.size());
        assertEquals(minutes(0), firing.get(0).getFirstFailureTime());
        assertEquals(minutes(15), firing.get(0).getLastFailureTime());
        assertEquals(5, firing.get(0).getFailureCount());
        assertTrue(TestMetrics.late(ConnectorMonitor.LATE_STAGE) >= lateBefore + 1,
            "the failure 10 min behind stream time is later than the grace and shows in the late-records metric");
    }

    @Test
    void aFailureOfAnEpisodeThatWasAlreadyResolvedDoesNotReopenIt() {
        failAt(CONTOSO, REFUSED, 0, 4, 8, 12, 15);
        failAt(CONTOSO, REFUSED, 60); // shows the gap: resolved at 45
        failAt(CONTOSO, REFUSED, 20, 25, 30, 35, 40); // very late failures of the old episode
        assertEquals(1, alerts(AlertState.FIRING).size(), "no second FIRING for the old episode");
        assertEquals(1, alerts(AlertState.RESOLVED).size());
    }

    @Test
    void permanentFailuresNeverFire() {
        for (int m = 0; m <= 60; m++) {
            driver.pipe(permanentFailure(CONTOSO, minutes(m), "<bad" + m + "@fabrikam.example>"));
        }
        assertEquals(List.of(), driver.alerts());
    }

    @Test
    void aFiringAlertCarriesTheConnectorsQueueFromTheBacklogStore() {
        driver.pipe(DetectionDriver.snapshot(CONTOSO, 0, 300, 120, minutes(1)));
        driver.pipe(DetectionDriver.snapshot(CONTOSO, 1, 217, 0, minutes(2)));
        failAt(CONTOSO, REFUSED, 0, 4, 8, 12, 15);
        final ConnectorAlert firing = alerts(AlertState.FIRING).get(0);
        assertEquals(517, firing.getQueuedRecipients(), "summed over the source partitions");
        assertEquals(minutes(1).minusSeconds(7200), firing.getOldestQueuedTime());
        assertTrue(firing.getSummary().contains("517 recipients queued"), firing.getSummary());
    }

    @Test
    void metricsCountFailuresByConnectorAndCategoryAndTheAlertsFiring() {
        final double failuresBefore = TestMetrics.failures(CONTOSO, "CONNECTION_REFUSED");
        final double permanentBefore = TestMetrics.failures(CONTOSO, "PERMANENT");
        final double firingBefore = TestMetrics.firing("CONNECTOR_FAILURE");
        failAt(CONTOSO, REFUSED, 0, 4, 8, 12, 15);
        driver.pipe(permanentFailure(CONTOSO, minutes(16), "<bad@fabrikam.example>"));
        driver.settle();
        assertEquals(failuresBefore + 5, TestMetrics.failures(CONTOSO, "CONNECTION_REFUSED"));
        assertEquals(permanentBefore + 1, TestMetrics.failures(CONTOSO, "PERMANENT"));
        assertEquals(firingBefore + 1, TestMetrics.firing("CONNECTOR_FAILURE"));
        failAt(CONTOSO, REFUSED, 60);
        driver.settle();
        assertEquals(firingBefore, TestMetrics.firing("CONNECTOR_FAILURE"), "back down once resolved");
    }
}
