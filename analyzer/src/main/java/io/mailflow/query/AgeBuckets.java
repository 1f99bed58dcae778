package io.mailflow.query;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.Arrays;

/**
 * A connector's queue by age, in Postfix qshape's columns: recipients waiting less than 5, 10,
 * 20, ... 1280 minutes, and longer. Age is measured against the state's event time (asOf), not
 * the wall clock, so the replay of an old incident shows the ages of that moment. A recipient
 * whose queued-since lies after asOf (a partition ahead of the others) counts as age 0.
 */
public final class AgeBuckets {
    /** Upper bounds in minutes, exclusive; one more bucket holds everything older. */
    static final int[] BOUNDS = {5, 10, 20, 40, 80, 160, 320, 640, 1280};

    private final long[] counts = new long[BOUNDS.length + 1];

    public void add(final long queuedSince, final long asOf) {
        counts[bucketOf(Math.max(0, asOf - queuedSince))]++;
    }

    /** Adds another partition's counts (as {@link #counts()} returns them). */
    public void addAll(final long[] other) {
        for (int i = 0; i < counts.length && i < other.length; i++) {
            counts[i] += other[i];
        }
    }

    public long[] counts() {
        return counts.clone();
    }

    public long total() {
        return Arrays.stream(counts).sum();
    }

    static int bucketOf(final long ageMillis) {
        final long minutes = ageMillis / 60_000;
        for (int i = 0; i < BOUNDS.length; i++) {
            if (minutes < BOUNDS[i]) {
                return i;
            }
        }
        return BOUNDS.length;
    }

    /** {@code [{"maxMinutes": 5, "recipients": n}, ..., {"maxMinutes": null, "recipients": n}]} */
    public ArrayNode toJson() {
        final ArrayNode out = QueryJson.array();
        for (int i = 0; i < counts.length; i++) {
            final var bucket = out.addObject();
            if (i < BOUNDS.length) {
                bucket.put("maxMinutes", BOUNDS[i]);
            } else {
                bucket.putNull("maxMinutes");
            }
            bucket.put("recipients", counts[i]);
        }
        return out;
    }
}
