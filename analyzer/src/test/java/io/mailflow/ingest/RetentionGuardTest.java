package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A replay into a topic with finite retention must say which records the broker will delete. */
class RetentionGuardTest {
    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

    private static MessageTrace at(final Instant eventTime) {
        return MessageTrace.newBuilder()
            .setEventTime(eventTime).setEventType(EventType.RECEIVE)
            .setMessageId("<m@fabrikam.example>").setRecipient("bob@contoso.example")
            .setProvenance(Provenance.newBuilder().setFormat("test").setFile(null).setLine(null).build())
            .build();
    }

    @Test
    void countsRecordsOlderThanTheRetentionAndStillPassesEveryRecordOn() {
        final CollectingSink sink = new CollectingSink();
        final RetentionGuard guard = new RetentionGuard(sink, "mailflow.traces", Duration.ofDays(7), NOW);
        guard.accept("k", at(NOW.minus(Duration.ofDays(30))));
        guard.accept("k", at(NOW.minus(Duration.ofDays(7)).minusSeconds(1)));
        guard.accept("k", at(NOW.minus(Duration.ofDays(6))));
        guard.flush();
        assertEquals(2, guard.beyondRetention());
        assertEquals(3, sink.records.size(), "the guard warns; it never drops");
        assertEquals(1, sink.flushes);
    }

    @Test
    void aTopicThatKeepsRecordsForeverDeletesNothing() {
        final RetentionGuard guard = new RetentionGuard(new CollectingSink(), "mailflow.traces", null, NOW);
        guard.accept("k", at(Instant.parse("2001-01-01T00:00:00Z")));
        assertEquals(0, guard.beyondRetention());
    }
}
