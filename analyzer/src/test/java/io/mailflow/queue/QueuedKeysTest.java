package io.mailflow.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The queued keys on the heap never deny a key the store holds")
class QueuedKeysTest {

    @Test
    @DisplayName("random queueing and leaving, checked against the set of queued keys after every step")
    void followsTheStore() {
        final Random random = new Random(7);
        final QueuedKeys keys = new QueuedKeys();
        final Set<String> store = new HashSet<>();
        final List<String> queued = new ArrayList<>();
        for (int step = 0; step < 200_000; step++) {
            if (queued.isEmpty() || random.nextInt(3) > 0) {
                final String key = "<m" + random.nextInt(50_000) + "@example.org>\u0000rcpt" + random.nextInt(4) + "@example.com";
                if (store.add(key)) { // the tracker adds a key only when the store did not hold it
                    keys.add(key);
                    queued.add(key);
                }
            } else {
                final String key = queued.remove(random.nextInt(queued.size()));
                store.remove(key);
                keys.remove(key);
            }
            if (step % 1_000 == 0) {
                for (final String key : store) {
                    assertTrue(keys.mayBeQueued(key), key);
                }
                assertEquals(store.size(), keys.size());
            }
        }
        // keys never queued, and keys that left: with 64-bit hashes, none is taken for a queued one
        for (int i = 0; i < 10_000; i++) {
            final String key = "<never" + i + "@example.org>\u0000rcpt@example.com";
            assertFalse(keys.mayBeQueued(key), key);
        }
    }

    @Test
    @DisplayName("two keys with one hash: removing one keeps the other")
    void sharedHashesAreCounted() {
        final QueuedKeys keys = new QueuedKeys();
        // the same hash twice stands for two keys that collide
        keys.add("a@example.org");
        keys.add("a@example.org");
        keys.remove("a@example.org");
        assertTrue(keys.mayBeQueued("a@example.org"));
        keys.remove("a@example.org");
        assertFalse(keys.mayBeQueued("a@example.org"));
        assertEquals(0, keys.size());
    }
}
