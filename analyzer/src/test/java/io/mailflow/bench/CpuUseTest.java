package io.mailflow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The CPU a timed run used, per record and as the JIT's share")
class CpuUseTest {
    @Test
    void aRunsCpuIsTheDifferenceOfTheCountersPerRecord() {
        final CpuUse start = new CpuUse(10.0, 4.0, 30.0);
        final CpuUse used = new CpuUse(32.8, 13.8, 67.8).since(start);
        assertEquals("CPU per record: stream threads 11.4 µs, JIT 4.9 µs, process 18.9 µs", used.perRecord(2_000_000));
        assertEquals(9.8 / 37.8, used.compilerShare(), 1e-9);
    }

    @Test
    void anUnknownCompilerTimeIsNoShare() {
        assertEquals(0.0, new CpuUse(1.0, Double.NaN, 2.0).compilerShare());
        assertEquals(0.0, new CpuUse(1.0, 1.0, 0.0).compilerShare());
    }
}
