package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import static io.mailflow.detect.TestTraces.deferral;
import static io.mailflow.detect.TestTraces.delivery;
import static io.mailflow.detect.TestTraces.minutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.MessageTrace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Event time everywhere: a replay yields what the live run yielded")
class ReplayDeterminismTest {

    /** Two and a half hours: a partner connector with two outages 40 min apart, a steady internal one slightly out of order. */
    private static List<MessageTrace> traffic() {
        final Random random = new Random(42);
        final List<MessageTrace> traces = new ArrayList<>();
        for (int s = 0; s < 150 * 6; s++) {
            final double m = s / 6.0;
            final boolean outage = (m >= 10 && m < 40) || (m >= 80 && m < 110);
            final String id = "<m" + s + "@fabrikam.example>";
            if (outage && random.nextDouble() < 0.8) {
                traces.add(deferral("Partner - Contoso", "4.4.316", minutes(m), id));
            } else {
                traces.add(delivery("Partner - Contoso", minutes(m), id));
            }
            traces.add(delivery("To HQ", minutes(m + random.nextDouble() * 0.5), "<h" + s + "@fabrikam.example>"));
        }
        return traces;
    }

    private record Run(List<ConnectorAlert> alerts, List<ConnectorStats> stats) {
    }

    private static Run run(final List<MessageTrace> traces, final Duration wallClockBetweenRecords) {
        try (DetectionDriver driver = new DetectionDriver(DetectionConfig.defaults(), ConnectorCatalog.empty())) {
            for (final MessageTrace t : traces) {
                driver.pipe(t);
                if (!wallClockBetweenRecords.isZero()) {
                    driver.advanceWallClock(wallClockBetweenRecords);
                }
            }
            return new Run(new ArrayList<>(driver.alerts()), new ArrayList<>(driver.stats()));
        }
    }

    @Test
    void aFastReplayAndASlowLiveRunEmitTheSameAlertsAndStats() {
        final List<MessageTrace> traces = traffic();
        final Run replay = run(traces, Duration.ZERO);
        // live: wall clock runs, so idle flushes send partials early and punctuations fire on wall clock
        final Run live = run(traces, Duration.ofSeconds(40));
        final List<io.mailflow.avro.AlertState> states = replay.alerts().stream().map(ConnectorAlert::getState).toList();
        assertEquals(2, states.stream().filter(s -> s == io.mailflow.avro.AlertState.FIRING).count(), () -> "two episodes: " + states);
        assertEquals(2, states.stream().filter(s -> s == io.mailflow.avro.AlertState.RESOLVED).count(), () -> "two episodes: " + states);
        assertTrue(replay.stats().size() > 60, "windows of both connectors");
        assertEquals(replay.alerts(), live.alerts());
        assertEquals(replay.stats(), live.stats());
    }
}
