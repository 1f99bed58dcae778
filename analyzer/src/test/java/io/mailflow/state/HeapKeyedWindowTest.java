package io.mailflow.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The heap window's table finds every key it holds, whatever the key's hash")
class HeapKeyedWindowTest {
    private static final long HOUR = 3_600_000L;
    private static final long T = 1_700_000_000_000L;

    @Test
    void aKeyWhoseHashIsZeroIsHeldFoundAndRemovedLikeAnyOther() {
        // Bytes hash as Arrays.hashCode: 31 + b for one byte, so {-31} hashes to 0 (the value of an
        // empty int array's cells, where the table keeps its hashes) and {-30} to 1
        final Bytes zero = Bytes.wrap(new byte[] {-31});
        final Bytes one = Bytes.wrap(new byte[] {-30});
        assertEquals(0, zero.hashCode());
        assertEquals(1, one.hashCode());
        final HeapKeyedWindow window = new HeapKeyedWindow(HOUR, new HeapBudget(Long.MAX_VALUE));
        window.advance(T);
        assertTrue(window.put(zero, bytes("zero"), T));
        assertTrue(window.put(one, bytes("one"), T));
        for (int i = 0; i < 100; i++) { // other keys around them, and the table grown several times
            assertTrue(window.put(Bytes.wrap(bytes("<m" + i + "@example.com>")), bytes("v" + i), T));
        }

        assertTrue(window.contains(zero, T), "the key of hash 0 is found");
        assertArrayEquals(bytes("zero"), HeapKeyedWindow.value(window.entries(zero)[0]));
        assertArrayEquals(bytes("one"), HeapKeyedWindow.value(window.entries(one)[0]));

        window.remove(zero, T);
        assertFalse(window.contains(zero, T), "removed");
        assertTrue(window.contains(one, T), "the key beside it stays");
        for (int i = 0; i < 100; i++) {
            assertTrue(window.contains(Bytes.wrap(bytes("<m" + i + "@example.com>")), T), "key " + i + " after the removal");
        }
        assertTrue(window.put(zero, bytes("again"), T));
        assertArrayEquals(bytes("again"), HeapKeyedWindow.value(window.entries(zero)[0]));
    }

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
