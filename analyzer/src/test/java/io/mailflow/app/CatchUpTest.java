package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Completion of an embedded replay, decided from polls with times the test makes up: no fixed
 * wait may hide in it (the old rule waited at least partition-idle + 2 s of quiet, 7 s).
 */
@DisplayName("replay --embedded is complete as soon as the analyzer has caught up")
class CatchUpTest {
    private static final TopicPartition TRACES = new TopicPartition("mailflow.traces", 0);
    private static final TopicPartition SIGNALS = new TopicPartition("app-connector-signals-repartition", 0);
    private static final TopicPartition PARTIALS = new TopicPartition("app-stats-partials-repartition", 0);
    private static final TopicPartition ALERTS = new TopicPartition("mailflow.alerts", 0);
    private static final long MS = 1_000_000L;

    private static CatchUp.Poll poll(final long traces, final long tracesEnd, final long signals, final long signalsEnd,
                                     final long alertsEnd) {
        return new CatchUp.Poll(Map.of(TRACES, traces, SIGNALS, signals),
            Map.of(TRACES, tracesEnd, SIGNALS, signalsEnd, PARTIALS, 0L), Map.of(ALERTS, alertsEnd));
    }

    @Test
    @DisplayName("complete at the second identical caught-up poll, however little time has passed")
    void completeAtTheSecondIdenticalCaughtUpPoll() {
        final CatchUp catchUp = new CatchUp(Duration.ZERO);
        assertFalse(catchUp.complete(poll(50, 100, 10, 20, 3), 0));
        assertFalse(catchUp.complete(poll(100, 100, 20, 20, 5), 100 * MS), "caught up, but not yet seen twice");
        assertTrue(catchUp.complete(poll(100, 100, 20, 20, 5), 100 * MS + 1), "one nanosecond later is enough: no quiet period");
    }

    @Test
    @DisplayName("not complete while a repartition topic has records the analyzer has not committed")
    void waitsForEveryRepartitionTopic() {
        final CatchUp catchUp = new CatchUp(Duration.ZERO);
        for (int i = 0; i < 100; i++) {
            assertFalse(catchUp.complete(poll(100, 100, 19, 20, 5), i * 1_000 * MS), "poll " + i);
        }
        assertFalse(catchUp.complete(poll(100, 100, 20, 20, 5), 200_000 * MS));
        assertTrue(catchUp.complete(poll(100, 100, 20, 20, 5), 200_100 * MS));
    }

    @Test
    @DisplayName("a partition that never had a record does not hold completion back; one without a commit does")
    void emptyPartitionsCountAsDone() {
        final CatchUp.Poll noCommitYet = new CatchUp.Poll(Map.of(TRACES, 100L), Map.of(TRACES, 100L, SIGNALS, 4L), Map.of());
        assertFalse(noCommitYet.caughtUp());
        final CatchUp.Poll nothingSent = new CatchUp.Poll(Map.of(), Map.of(TRACES, 0L, SIGNALS, 0L), Map.of(ALERTS, 0L));
        assertTrue(nothingSent.caughtUp());
        final CatchUp catchUp = new CatchUp(Duration.ZERO);
        assertFalse(catchUp.complete(nothingSent, 0));
        assertTrue(catchUp.complete(nothingSent, 1));
    }

    @Test
    @DisplayName("an output topic still growing, or an input end moving, starts the check again")
    void anythingMovingStartsAgain() {
        final CatchUp catchUp = new CatchUp(Duration.ZERO);
        assertFalse(catchUp.complete(poll(100, 100, 20, 20, 5), 0));
        assertFalse(catchUp.complete(poll(100, 100, 20, 20, 6), 100 * MS), "an output grew");
        assertFalse(catchUp.complete(poll(100, 100, 22, 22, 6), 200 * MS), "more repartitioned records, caught up again");
        assertTrue(catchUp.complete(poll(100, 100, 22, 22, 6), 300 * MS));
    }

    @Test
    @DisplayName("an extra quiet period, when asked for, counts from the first of the identical polls")
    void extraQuietWhenAskedFor() {
        final CatchUp catchUp = new CatchUp(Duration.ofSeconds(2));
        assertFalse(catchUp.complete(poll(100, 100, 20, 20, 5), 0));
        assertFalse(catchUp.complete(poll(100, 100, 20, 20, 5), 1_000 * MS));
        assertEquals(Duration.ofSeconds(1), catchUp.steadyFor(1_000 * MS));
        assertTrue(catchUp.complete(poll(100, 100, 20, 20, 5), 2_000 * MS));
    }

    @Test
    @DisplayName("progress figures: trace records analysed of those sent, output records")
    void progressFigures() {
        final CatchUp.Poll p = poll(40, 100, 10, 20, 7);
        assertEquals(40, p.committedOf("mailflow.traces"));
        assertEquals(100, p.endOf("mailflow.traces"));
        assertEquals(7, p.outputRecords());
    }
}
