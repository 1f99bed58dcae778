package io.mailflow.query;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Age buckets: qshape's columns, ages against the state's event time")
class AgeBucketsTest {
    private static final long AS_OF = Instant.parse("2026-03-02T12:00:00Z").toEpochMilli();

    private static long minutesAgo(final double minutes) {
        return AS_OF - (long) (minutes * 60_000);
    }

    @Test
    @DisplayName("a recipient falls into the first bucket whose bound its age is below; 1280 min and older into the last")
    void bounds() {
        final AgeBuckets b = new AgeBuckets();
        b.add(minutesAgo(0), AS_OF);
        b.add(minutesAgo(4.99), AS_OF);
        b.add(minutesAgo(5), AS_OF);
        b.add(minutesAgo(19), AS_OF);
        b.add(minutesAgo(20), AS_OF);
        b.add(minutesAgo(1279), AS_OF);
        b.add(minutesAgo(1280), AS_OF);
        b.add(AS_OF - Duration.ofDays(3).toMillis(), AS_OF);
        assertArrayEquals(new long[] {2, 1, 1, 1, 0, 0, 0, 0, 1, 2}, b.counts());
        assertEquals(8, b.total());
    }

    @Test
    @DisplayName("a recipient queued after asOf (a partition ahead of the others) counts as age 0, not negative")
    void queuedAfterAsOf() {
        final AgeBuckets b = new AgeBuckets();
        b.add(AS_OF + 60_000, AS_OF);
        assertEquals(1, b.counts()[0]);
    }

    @Test
    @DisplayName("partitions' counts add up; the JSON has ten buckets, the last with maxMinutes null")
    void mergeAndJson() {
        final AgeBuckets a = new AgeBuckets();
        a.add(minutesAgo(30), AS_OF);
        final AgeBuckets b = new AgeBuckets();
        b.add(minutesAgo(31), AS_OF);
        b.add(minutesAgo(2000), AS_OF);
        a.addAll(b.counts());
        final var json = a.toJson();
        assertEquals(10, json.size());
        assertEquals(5, json.get(0).path("maxMinutes").asInt());
        assertEquals(40, json.get(3).path("maxMinutes").asInt());
        assertEquals(2, json.get(3).path("recipients").asLong());
        assertEquals(true, json.get(9).path("maxMinutes").isNull());
        assertEquals(1, json.get(9).path("recipients").asLong());
    }
}
