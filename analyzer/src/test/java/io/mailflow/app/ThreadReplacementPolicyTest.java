package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.serde.SchemaRegistryException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A stream thread that stopped: replaced while the registry or broker fails, shut down when a bug repeats")
class ThreadReplacementPolicyTest {
    private static final long T0 = 1_800_000_000_000L;

    /** What a processing handler's fail() surfaces as: the record's registry call, wrapped by the serializer and by Streams. */
    private static Throwable registryDown() {
        return new StreamsException("Exception caught in process",
            new SerializationException("Cannot get a schema id for subject x-value",
                new SchemaRegistryException(503, 50301, "Service Unavailable")));
    }

    @Test
    void anOutageOfAnyLengthKeepsReplacingTheThreadWithAWaitThatDoublesToAMinute() {
        final ThreadReplacementPolicy policy = new ThreadReplacementPolicy();
        final List<Long> waits = new ArrayList<>();
        long now = T0;
        for (int i = 0; i < 40; i++) { // 40 failures within minutes: far more than a bug is allowed
            final ThreadReplacementPolicy.Decision d = policy.decide(registryDown(), now);
            assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, d.response());
            assertTrue(d.infrastructure());
            waits.add(d.delay().toSeconds());
            now += d.delay().toMillis() + 2_000;
        }
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L), waits.subList(0, 8));
        assertTrue(policy.recentFault(now).startsWith("stream thread restarting after a fault of the registry or broker"));
        // ten quiet minutes later the fault is old news, and the next one waits 1 s again
        now += Duration.ofMinutes(11).toMillis();
        assertNull(policy.recentFault(now));
        assertEquals(Duration.ofSeconds(1), policy.decide(registryDown(), now).delay());
    }

    @Test
    void aBugIsReplacedThreeTimesInTenMinutesThenTheInstanceShutsDown() {
        final ThreadReplacementPolicy policy = new ThreadReplacementPolicy();
        final Throwable bug = new StreamsException(new NullPointerException("a bug"));
        for (int i = 0; i < ThreadReplacementPolicy.MAX_REPLACEMENTS_AFTER_ERRORS; i++) {
            assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, policy.decide(bug, T0 + i * 60_000L).response());
        }
        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, policy.decide(bug, T0 + 4 * 60_000L).response());
        // spread over more than the window, the same errors are each replaced
        final ThreadReplacementPolicy spread = new ThreadReplacementPolicy();
        for (int i = 0; i < 6; i++) {
            assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, spread.decide(bug, T0 + i * 11 * 60_000L).response());
        }
    }

    @Test
    void aRegistryVerdictIsNotAFault() {
        // 409 incompatible is the registry's answer about the schema, not an outage: treated as an error
        final Throwable incompatible = new StreamsException(new SerializationException("x",
            new SchemaRegistryException(409, 409, "incompatible")));
        final ThreadReplacementPolicy.Decision d = new ThreadReplacementPolicy().decide(incompatible, T0);
        assertEquals(false, d.infrastructure());
    }
}
