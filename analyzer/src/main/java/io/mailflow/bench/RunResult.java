package io.mailflow.bench;

/** One timed run: how many records, how long, the CPU it used (null when not measured) and anything worth noting about it. */
record RunResult(long records, double seconds, String note, CpuUse cpu) {
    RunResult(final long records, final double seconds, final String note) {
        this(records, seconds, note, null);
    }

    double recordsPerSecond() {
        return records / seconds;
    }
}
