package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import static io.mailflow.detect.TestTraces.deferral;
import static io.mailflow.detect.TestTraces.delivery;
import static io.mailflow.detect.TestTraces.minutes;
import static io.mailflow.detect.TestTraces.permanentFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.EventType;
import io.mailflow.avro.FailureCategory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Connector stats: 5-minute windows per connector and code, emitted once on close")
class StatsWindowTest {
    private static final String CONTOSO = "Outbound to Contoso";
    private DetectionDriver driver;

    @BeforeEach
    void start() {
        driver = new DetectionDriver(DetectionConfig.defaults(), ConnectorCatalog.empty());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private Map<String, ConnectorStats> byCode() {
        return driver.stats().stream().collect(Collectors.toMap(s -> String.valueOf(s.getStatusCode()), Function.identity()));
    }

    private void windowOfTraffic() {
        // window [10:00, 10:05): three deliveries of two messages, one message deferred twice, one rejected
        driver.pipe(delivery(CONTOSO, minutes(0.5), "<a@x>"));
        driver.pipe(TestTraces.trace(EventType.SEND, minutes(1)).setConnectorId(CONTOSO).setMessageId("<a@x>")
            .setRecipient("second@contoso.com").setStatusCode("2.0.0").setRemoteHost("mail.contoso.com").build());
        driver.pipe(delivery(CONTOSO, minutes(2), "<b@x>"));
        driver.pipe(deferral(CONTOSO, "4.4.316", minutes(2.5), "<c@x>"));
        driver.pipe(deferral(CONTOSO, "4.4.316", minutes(4.5), "<c@x>"));
        driver.pipe(permanentFailure(CONTOSO, minutes(4.9), "<d@x>"));
        // not delivery attempts: not counted
        driver.pipe(TestTraces.trace(EventType.RECEIVE, minutes(3)).setConnectorId("Default Frontend").setMessageId("<e@x>").build());
    }

    @Test
    void countsEachCodeOfAWindowOnceTheWindowHasClosed() {
        windowOfTraffic();
        driver.pipe(delivery("other", minutes(5.9), "<z1@x>"));
        assertEquals(List.of(), driver.stats(), "not before window end + grace (1 min) on every input partition");
        // heartbeats carry each partition's stream time to the closer every 10 s of stream time
        driver.pipe(delivery("other", minutes(6.2), "<z2@x>"));
        final Map<String, ConnectorStats> stats = byCode();
        assertEquals(3, stats.size(), () -> "codes: " + stats.keySet());

        final ConnectorStats delivered = stats.get("2.0.0");
        assertEquals(CONTOSO, delivered.getConnectorId());
        assertEquals(minutes(0), delivered.getWindowStart());
        assertEquals(minutes(5), delivered.getWindowEnd());
        assertEquals(3, delivered.getDeliveries());
        assertEquals(0, delivered.getFailures());
        assertEquals(2, delivered.getDistinctMessages());
        assertNull(delivered.getCategory());
        assertEquals(List.of("mail.contoso.com"), delivered.getDestinations());

        final ConnectorStats refused = stats.get("4.4.316");
        assertEquals(2, refused.getFailures());
        assertEquals(1, refused.getDistinctMessages());
        assertEquals(FailureCategory.CONNECTION_REFUSED, refused.getCategory());
        assertEquals(List.of("mail.contoso.com"), refused.getDestinations());

        final ConnectorStats rejected = stats.get("5.1.10");
        assertEquals(1, rejected.getFailures());
        assertEquals(FailureCategory.PERMANENT, rejected.getCategory());
    }

    @Test
    void aClosedWindowIsNeverEmittedTwice() {
        windowOfTraffic();
        for (int m = 8; m <= 30; m++) {
            driver.pipe(delivery("other", minutes(m), "<z" + m + "@x>"));
        }
        final double lateBefore = TestMetrics.late(StatsPreAggregator.LATE_STAGE);
        driver.pipe(deferral(CONTOSO, "4.4.316", minutes(3), "<late@x>")); // 27 minutes late
        for (int m = 31; m <= 40; m++) {
            driver.pipe(delivery("other", minutes(m), "<y" + m + "@x>"));
        }
        final long contosoWindows = driver.stats().stream().filter(s -> s.getConnectorId().equals(CONTOSO)).count();
        assertEquals(3, contosoWindows);
        assertEquals(lateBefore + 1, TestMetrics.late(StatsPreAggregator.LATE_STAGE), "the late trace shows in the metric");
    }

    @Test
    @DisplayName("one message's attempts in a row count it once per code and window, in every window they reach")
    void aMessagesAttemptsInARowCountItOncePerCodeAndWindow() {
        driver.pipe(deferral(CONTOSO, "4.4.316", minutes(4.5), "<m@x>"));
        driver.pipe(deferral(CONTOSO, "4.4.315", minutes(4.6), "<m@x>"));
        driver.pipe(deferral(CONTOSO, "4.4.316", minutes(4.7), "<m@x>"));
        driver.pipe(deferral(CONTOSO, "4.4.316", minutes(5.1), "<m@x>")); // the next window
        driver.pipe(deferral(CONTOSO, "4.4.316", minutes(5.2), "<n@x>"));
        driver.pipe(delivery("other", minutes(12), "<z@x>"));
        final Map<String, ConnectorStats> windows = driver.stats().stream().filter(s -> s.getConnectorId().equals(CONTOSO))
            .collect(Collectors.toMap(s -> s.getStatusCode() + " " + s.getWindowStart(), Function.identity()));
        assertEquals(3, windows.size(), windows::toString);
        assertEquals(2, windows.get("4.4.316 " + minutes(0)).getFailures());
        assertEquals(1, windows.get("4.4.316 " + minutes(0)).getDistinctMessages());
        assertEquals(1, windows.get("4.4.315 " + minutes(0)).getDistinctMessages());
        assertEquals(2, windows.get("4.4.316 " + minutes(5)).getFailures());
        assertEquals(2, windows.get("4.4.316 " + minutes(5)).getDistinctMessages());
    }

    @Test
    void partialsSentEarlyByAnIdleTaskStillAddUpWithoutCountingAMessageTwice() {
        driver.pipe(deferral(CONTOSO, "4.4.316", minutes(1), "<c@x>"));
        driver.advanceWallClock(Duration.ofSeconds(45)); // idle longer than idle-flush (30 s): partial goes out early
        driver.pipe(deferral(CONTOSO, "4.4.316", minutes(2), "<c@x>"));
        driver.pipe(deferral(CONTOSO, "4.4.316", minutes(3), "<d@x>"));
        driver.pipe(delivery("other", minutes(9), "<z@x>"));
        final ConnectorStats refused = byCode().get("4.4.316");
        assertEquals(3, refused.getFailures());
        assertEquals(2, refused.getDistinctMessages());
    }

    @Test
    void everyInternalTopicAndStoreHasItsOwnName() {
        final TopologyDescription description = driver.topology.describe();
        final String text = description.toString();
        for (final String name : List.of("stats-partials-repartition", "connector-signals-repartition",
            "stats-partial-counts", "stats-partial-messages", "stats-windows", "stats-progress", "failure-episodes",
            "failure-episode-messages", "backlog-queue", "connector-signals-pending-log", "connector-progress", "connector-monitor")) {
            org.junit.jupiter.api.Assertions.assertTrue(text.contains(name), name + " in\n" + text);
        }
    }

    @Test
    void aTombstoneOnTheTracesTopicIsNoAttemptAndBreaksNothing() {
        driver.pipeTombstone("<gone@x>", minutes(1));
        windowOfTraffic();
        driver.pipe(delivery("other", minutes(7), "<z@x>"));
        assertEquals(3, byCode().size());
    }
}
