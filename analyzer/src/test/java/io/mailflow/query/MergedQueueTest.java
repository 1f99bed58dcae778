package io.mailflow.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A connector's queue merged over partitions: the same figures in any order of the partitions")
class MergedQueueTest {
    private static ObjectNode partition(final long queued, final long overAge, final Long oldest, final String error, final String code,
                                        final long errorTime, final List<String> destinations, final List<Long> times) {
        final ObjectNode q = QueryJson.object().put("connectorId", "partner-contoso").put("queuedRecipients", queued)
            .put("queuedOverAge", overAge).put("lastError", error).put("lastStatusCode", code).put("lastErrorTime", errorTime);
        if (oldest == null) {
            q.putNull("oldestQueuedTime");
        } else {
            q.put("oldestQueuedTime", oldest);
        }
        destinations.forEach(q.putArray("destinations")::add);
        times.forEach(q.putArray("destinationTimes")::add);
        return q;
    }

    private static final ObjectNode P0 = partition(3, 1, 5_000L, "451 4.4.316 Connection refused", "4.4.316", 9_000,
        List.of("mail.contoso.com"), List.of(9_000L));
    private static final ObjectNode P1 = partition(2, 0, 7_000L, "451 4.4.315 Connection timed out", "4.4.315", 8_000,
        List.of("mx2.contoso.com"), List.of(9_500L));
    private static final ObjectNode EMPTY = partition(0, 0, null, null, null, 0, List.of(), List.of());

    @Test
    @DisplayName("counts add up, the oldest is the minimum, the last error the latest by attempt time, destinations latest first")
    void merge() {
        for (final List<ObjectNode> order : List.of(List.of(P0, P1, EMPTY), List.of(EMPTY, P1, P0))) {
            final MergedQueue q = new MergedQueue("partner-contoso", 10);
            order.forEach(q::add);
            assertEquals(5, q.queuedRecipients());
            assertEquals(1, q.queuedOverAge());
            assertEquals(5_000L, q.oldestQueuedTime());
            assertEquals("451 4.4.316 Connection refused", q.lastError());
            assertEquals("4.4.316", q.lastStatusCode());
            assertEquals(9_000L, q.lastErrorTime());
            assertEquals(9_500L, q.lastAttemptTime());
            assertEquals(List.of("mx2.contoso.com", "mail.contoso.com"), q.destinations());
        }
    }

    @Test
    @DisplayName("an empty queue has no oldest time; a connector without errors has no last error or attempt")
    void empty() {
        final MergedQueue q = new MergedQueue("internet", 10);
        q.add(EMPTY);
        assertEquals(0, q.queuedRecipients());
        assertNull(q.oldestQueuedTime());
        assertNull(q.lastError());
        assertNull(q.lastErrorTime());
        assertNull(q.lastAttemptTime());
    }
}
