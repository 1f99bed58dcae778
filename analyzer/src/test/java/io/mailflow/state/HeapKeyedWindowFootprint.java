package io.mailflow.state;

import java.util.Random;
import org.apache.kafka.common.utils.Bytes;

/**
 * What an entry of the queue's message memory takes on the heap, measured against what its
 * {@link HeapBudget} charges (docs/benchmarks.md, "Eighteenth session"). Not a test: run it with
 * {@code java -Xmx2g -cp analyzer/target/test-classes:analyzer/target/classes:<test classpath>
 * io.mailflow.state.HeapKeyedWindowFootprint ENTRIES VALUE_BYTES}.
 */
public final class HeapKeyedWindowFootprint {
    private HeapKeyedWindowFootprint() {
    }

    public static void main(final String[] args) {
        final int entries = Integer.parseInt(args[0]);
        final int valueBytes = Integer.parseInt(args[1]);
        final HeapBudget budget = new HeapBudget(Long.MAX_VALUE);
        final HeapKeyedWindow window = new HeapKeyedWindow(7_200_000L, budget);
        final Random random = new Random(1);
        final long before = usedAfterGc();
        long keyBytes = 0;
        for (int i = 0; i < entries; i++) {
            // a Message-ID as the queue's arrivals have them
            final byte[] key = String.format("<%016x.%08d@mail.example.com>", random.nextLong(), i).getBytes();
            keyBytes += key.length;
            final long time = 1_700_000_000_000L + i;
            window.advance(time);
            window.put(Bytes.wrap(key), new byte[valueBytes], time);
        }
        final long after = usedAfterGc();
        System.out.printf("%,d entries, key %.0f bytes, value %d bytes: heap %.1f bytes per entry, budget charged %.1f%n",
            window.size(), keyBytes / (double) entries, valueBytes, (after - before) / (double) entries,
            budget.usedBytes() / (double) entries);
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        final Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
