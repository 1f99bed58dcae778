package io.mailflow.bench;

/** One timed run: how many records, how long, and anything worth noting about it. */
record RunResult(long records, double seconds, String note) {
    double recordsPerSecond() {
        return records / seconds;
    }
}
