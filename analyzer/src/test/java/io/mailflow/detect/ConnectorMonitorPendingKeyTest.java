package io.mailflow.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The sequence suffix of a pending signal's key in {@code connector-signals-pending} is part of
 * the changelog a deployed application already holds, and it orders signals of the same moment:
 * it must stay the four-digit lowercase hex it always was.
 */
@DisplayName("Pending signal keys keep their format (%016x time, %08x partition, %04x sequence)")
class ConnectorMonitorPendingKeyTest {

    @Test
    void sequenceSuffixIsFourDigitLowercaseHexAsBefore() {
        for (int seq = 0; seq <= 70_000; seq++) {
            assertEquals(String.format("%04x", seq), ConnectorMonitor.sequenceHex(seq), "seq " + seq);
        }
    }

    @Test
    void partitionAndTimeKeepTheirWidths() {
        for (final int partition : new int[] {0, 1, 9, 15, 16, 255, 4096, Integer.MAX_VALUE, -1}) {
            assertEquals(String.format("%08x", partition), ConnectorMonitor.partitionHex(partition));
        }
        final long now = 1_772_441_405_739L; // 2026-03-02, as the keys hold it: flipped sign bit, so order is time order
        for (final long time : new long[] {0L, 1L, now, -now, Long.MIN_VALUE, Long.MAX_VALUE, -1L}) {
            assertEquals(String.format("%016x", time ^ Long.MIN_VALUE), ConnectorMonitor.timeHex(time ^ Long.MIN_VALUE));
        }
    }
}
