package io.mailflow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    @DisplayName("median and nearest-rank percentiles of a small sample, whatever its order")
    void percentiles() {
        final double[] latencies = {40, 10, 30, 20, 50};
        assertEquals(30, Stats.median(latencies));
        assertEquals(50, Stats.percentile(latencies, 99), "p99 of five values is the largest");
        assertEquals(10, Stats.percentile(latencies, 1));
        assertEquals(20, Stats.median(new double[] {30, 10, 20, 40}), "even count: the lower middle (nearest rank)");
        assertTrue(Double.isNaN(Stats.median(new double[0])), "no samples, no median");
    }
}
