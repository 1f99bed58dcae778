package io.mailflow.state;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Heap bytes that state held on the heap in place of a store may take, shared by every task of
 * one Kafka Streams instance (its stream threads reserve and release concurrently). A reservation
 * that does not fit is refused, and the caller keeps the entry in its store instead: what is
 * answered never depends on where an entry is held, only how fast.
 */
public final class HeapBudget {
    private static final Logger LOG = LoggerFactory.getLogger(HeapBudget.class);

    private final long maxBytes;
    /** What the budget is for and the setting that sizes it, for the one log line when it is full. */
    private final String purpose;
    private final AtomicBoolean toldFull = new AtomicBoolean();
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();

    public HeapBudget(final long maxBytes) {
        this(maxBytes, null);
    }

    /** @param purpose what the budget holds and the setting that sizes it, for the log line when it is first full */
    public HeapBudget(final long maxBytes, final String purpose) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("a heap budget cannot be negative: " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.purpose = purpose;
    }

    /** Takes {@code bytes} if they fit; false, and nothing taken, when they do not. */
    boolean tryReserve(final long bytes) {
        while (true) {
            final long now = used.get();
            if (now + bytes > maxBytes) {
                if (purpose != null && maxBytes > 0 && !toldFull.getAndSet(true)) {
                    LOG.info("The heap for {} is full ({} bytes): more goes to RocksDB, which answers the same, more slowly",
                        purpose, String.format("%,d", maxBytes));
                }
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                if (now + bytes > peak.get()) { // a read, no write, once the heap has stopped growing
                    peak.accumulateAndGet(now + bytes, Math::max);
                }
                return true;
            }
        }
    }

    /** Takes {@code bytes} whether they fit or not (a value replaced by a longer one). */
    void force(final long bytes) {
        used.addAndGet(bytes);
    }

    void release(final long bytes) {
        used.addAndGet(-bytes);
    }

    /** Bytes reserved now. */
    public long usedBytes() {
        return used.get();
    }

    /** The most bytes reserved at once so far. */
    public long peakBytes() {
        return peak.get();
    }

    public long maxBytes() {
        return maxBytes;
    }
}
