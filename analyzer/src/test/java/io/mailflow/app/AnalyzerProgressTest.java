package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("progress while replay --embedded waits for the analyzer")
class AnalyzerProgressTest {
    private static final Duration QUIET = Duration.ofSeconds(7);

    private static AnalyzerProgress.Status at(final long committed, final long written, final long outputs, final int quietSeconds,
                                              final int elapsedSeconds) {
        return new AnalyzerProgress.Status(committed, written, outputs, Duration.ofSeconds(quietSeconds), QUIET,
            Duration.ofSeconds(elapsedSeconds));
    }

    @Test
    @DisplayName("says what it waits for: records committed of those written, then how long all has been quiet")
    void describesWhatItWaitsFor() {
        assertEquals("Waiting for the analyzer: 120,345 of 200,000 trace records committed, 1,234 output records (12 s)",
            at(120_345, 200_000, 1_234, 0, 12).describe());
        assertEquals("Waiting for the analyzer: all 200,000 trace records committed, 1,300 output records; quiet for 3 of 7 s (31 s)",
            at(200_000, 200_000, 1_300, 3, 31).describe());
    }

    @Test
    @DisplayName("off a terminal: one line per 10 s of waiting, none before")
    void offATerminalALineEveryTenSeconds() {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AnalyzerProgress progress = AnalyzerProgress.everyInterval(new PrintStream(bytes, true, StandardCharsets.UTF_8),
            Duration.ofSeconds(10));
        for (int ms = 0; ms <= 25_000; ms += 250) {
            progress.waiting(new AnalyzerProgress.Status(ms, 30_000, 0, Duration.ZERO, QUIET, Duration.ofMillis(ms)));
        }
        progress.done();
        final String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(2, lines.length, bytes.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].startsWith("Waiting for the analyzer: 10,000 of 30,000 trace records committed"), lines[0]);
        assertTrue(lines[1].endsWith("(20 s)"), lines[1]);
    }

    @Test
    @DisplayName("on a terminal: one line redrawn in place, wiped when done")
    void onATerminalOneLineInPlace() {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AnalyzerProgress progress = AnalyzerProgress.inPlace(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        progress.waiting(at(10, 20, 0, 0, 1));
        progress.waiting(at(20, 20, 5, 1, 2));
        progress.done();
        final String shown = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(!shown.contains("\n"), "never a new line: " + shown);
        assertTrue(shown.startsWith("\rWaiting for the analyzer: 10 of 20"), shown);
        assertTrue(shown.contains("\rWaiting for the analyzer: all 20 trace records committed"), shown);
        assertTrue(shown.endsWith("\r"), "wiped: " + shown);
    }
}
