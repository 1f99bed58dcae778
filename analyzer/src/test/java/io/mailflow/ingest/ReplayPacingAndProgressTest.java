package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("replay pacing and progress")
class ReplayPacingAndProgressTest {
    /** A clock that only moves when the pacer sleeps. */
    private static final class FakeTime implements Pacer.Ticker, Pacer.Sleeper {
        long now;
        final List<Long> sleeps = new ArrayList<>();

        @Override
        public long nanos() {
            return now;
        }

        @Override
        public void sleepNanos(final long nanos) {
            sleeps.add(nanos);
            now += nanos;
        }
    }

    @Test
    @DisplayName("at 10x, records 10 s apart in event time are released 1 s apart")
    void tenTimesRealTime() throws InterruptedException {
        final FakeTime time = new FakeTime();
        final Pacer pacer = new Pacer(10, time, time);
        pacer.await(1_000_000);
        pacer.await(1_010_000);
        pacer.await(1_010_000);
        time.now += 500_000_000L; // the sink took half a second
        pacer.await(1_020_000);
        assertEquals(List.of(1_000_000_000L, 500_000_000L), time.sleeps);
    }

    @Test
    @DisplayName("max speed never sleeps")
    void maxSpeed() throws InterruptedException {
        final FakeTime time = new FakeTime();
        final Pacer pacer = new Pacer(0, time, time);
        pacer.await(0);
        pacer.await(86_400_000);
        assertEquals(List.of(), time.sleeps);
    }

    @Test
    @DisplayName("speed is 'max' or a positive factor")
    void parseSpeed() {
        assertEquals(0, ReplayOptions.parseSpeed("max"));
        assertEquals(10, ReplayOptions.parseSpeed("10x"));
        assertEquals(0.5, ReplayOptions.parseSpeed("0.5"));
        assertThrows(IllegalArgumentException.class, () -> ReplayOptions.parseSpeed("-2"));
        assertThrows(IllegalArgumentException.class, () -> ReplayOptions.defaults().withSpeed(-1));
    }

    @Test
    @DisplayName("the progress bar shows share of input, records, rate and ETA from bytes read")
    void progressBar() {
        final ReplayProgress.Snapshot half = new ReplayProgress.Snapshot(50_000, 500, 1000, Duration.ofSeconds(10), "f.log");
        assertEquals("[###############...............]  50%  50,000 records  5,000 rec/s  ETA 0:10", ConsoleProgressBar.render(half));
        final ReplayProgress.Snapshot start = new ReplayProgress.Snapshot(0, 0, 1000, Duration.ZERO, "f.log");
        assertNull(start.eta());
        assertTrue(ConsoleProgressBar.render(start).endsWith("ETA --:--"));
        assertEquals("1:01:01", ConsoleProgressBar.clock(Duration.ofSeconds(3661)));
    }

    @Test
    @DisplayName("the console bar redraws one line and clears it at the end, leaving the summary to the command")
    void consoleOutput() {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final ConsoleProgressBar bar = new ConsoleProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.options().withProgress(bar), Fixtures.resource("postfix_rfc3339.log"));
        final String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(r.summary().records() > 0);
        assertTrue(out.endsWith("\r"), "the last bar is cleared: " + out);
        assertTrue(!out.contains("\n"), "never more than one line: " + out);
    }
}
