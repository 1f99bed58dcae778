package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("progress while replay --embedded waits for the analyzer")
class AnalyzerProgressTest {

    private static AnalyzerProgress.Status at(final long analysed, final long sent, final long outputs, final double perSecond,
                                              final int elapsedSeconds) {
        return new AnalyzerProgress.Status(analysed, sent, outputs, perSecond, Duration.ofSeconds(elapsedSeconds));
    }

    @Test
    @DisplayName("says how far the analyzer is: records analysed of those sent, rate, ETA, output records")
    void describesHowFarItIs() {
        assertEquals("Analysing: 120,345 of 200,000 trace records (60 %), 9,870 records/s, ETA 0:08; 1,234 output records (12 s)",
            at(120_345, 200_000, 1_234, 9_870, 12).describe());
        assertEquals("Analysing: all 200,000 trace records analysed, 9,000 records/s; 1,300 output records, finishing (31 s)",
            at(200_000, 200_000, 1_300, 9_000, 31).describe());
        assertEquals("Analysing: 10 of 20 trace records (50 %); 0 output records (1 s)", at(10, 20, 0, 0, 1).describe(),
            "no rate and no ETA before the rate is known");
        assertEquals("Analysing: no trace records sent; 0 output records (0 s)", at(0, 0, 0, 0, 0).describe());
    }

    @Test
    @DisplayName("the ETA is what is left at the current rate, rounded up; none without a rate or when all is analysed")
    void etaAtTheCurrentRate() {
        assertEquals(Duration.ofMillis(8_105), at(120_345, 200_000, 0, 9_828.5, 12).eta());
        assertEquals(Duration.ofSeconds(90), at(10_000, 100_000, 0, 1_000, 10).eta());
        assertNull(at(10_000, 100_000, 0, 0, 10).eta());
        assertNull(at(100_000, 100_000, 0, 1_000, 10).eta());
    }

    @Test
    @DisplayName("off a terminal: one line per interval of waiting, none before")
    void offATerminalALinePerInterval() {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AnalyzerProgress progress = AnalyzerProgress.everyInterval(new PrintStream(bytes, true, StandardCharsets.UTF_8),
            Duration.ofSeconds(10));
        for (int ms = 0; ms <= 25_000; ms += 100) {
            progress.waiting(new AnalyzerProgress.Status(ms, 30_000, 0, 1_000, Duration.ofMillis(ms)));
        }
        progress.done();
        final String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(2, lines.length, bytes.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].startsWith("Analysing: 10,000 of 30,000 trace records (33 %), 1,000 records/s, ETA 0:20"), lines[0]);
        assertTrue(lines[1].endsWith("(20 s)"), lines[1]);
    }

    @Test
    @DisplayName("on a terminal: one line redrawn in place, wiped when done")
    void onATerminalOneLineInPlace() {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AnalyzerProgress progress = AnalyzerProgress.inPlace(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        progress.waiting(at(10, 20, 0, 0, 1));
        progress.waiting(at(20, 20, 5, 10, 2));
        progress.done();
        final String shown = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(!shown.contains("\n"), "never a new line: " + shown);
        assertTrue(shown.startsWith("\rAnalysing: 10 of 20"), shown);
        assertTrue(shown.contains("\rAnalysing: all 20 trace records analysed"), shown);
        assertTrue(shown.endsWith("\r"), "wiped: " + shown);
    }
}
