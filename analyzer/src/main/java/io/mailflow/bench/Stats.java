package io.mailflow.bench;

import java.util.Arrays;

/** Medians and percentiles of small samples: exact, by sorting (a run has a handful to a few thousand values). */
final class Stats {
    private Stats() {
    }

    static double median(final double[] values) {
        return percentile(values, 50);
    }

    /** Nearest-rank percentile: the smallest value with at least p % of the sample at or below it. */
    static double percentile(final double[] values, final double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
