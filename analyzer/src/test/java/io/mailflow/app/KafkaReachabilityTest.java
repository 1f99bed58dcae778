package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A cluster that does not answer: every command that needs one names the address and gives up after mailflow.connect-timeout. */
@DisplayName("commands against an unreachable cluster name its address and give up after mailflow.connect-timeout")
class KafkaReachabilityTest {
    private static String nowhere;

    @TempDir
    static Path dir;

    @BeforeAll
    static void aPortNobodyListensOn() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            nowhere = "127.0.0.1:" + socket.getLocalPort();
        }
    }

    @Test
    @DisplayName("a host name that does not resolve is named at once")
    void unresolvableHost() {
        final StringWriter err = new StringWriter();
        final int code = Mailflow.commandLine().setErr(new PrintWriter(err, true)).setOut(new PrintWriter(new StringWriter(), true))
            .execute("topics", "--verify", "-b", "kafka.invalid:9092", "-D", "mailflow.connect-timeout=1s");
        assertEquals(ExitCodes.RUNTIME_FAILURE, code, err.toString());
        assertTrue(err.toString().startsWith("mailflow topics: cannot reach Kafka at kafka.invalid:9092 ("), err.toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"consume mailflow.alerts", "topics --verify", "topics", "run --metrics-port 0", "replay LOG"})
    void namesTheAddressAndGivesUp(final String command) throws IOException {
        final Path log = dir.resolve("MSGTRK2026030206-1.LOG");
        Files.writeString(log, "#Software: Microsoft Exchange Server\n#Fields: date-time,event-id\n");
        final String[] args = (command.replace("LOG", log.toString()) + " -b " + nowhere + " -D mailflow.connect-timeout=1s").split(" ");
        final StringWriter err = new StringWriter();
        final long t0 = System.nanoTime();
        final int code = Mailflow.commandLine().setErr(new PrintWriter(err, true)).setOut(new PrintWriter(new StringWriter(), true))
            .execute(args);
        final Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertEquals(ExitCodes.RUNTIME_FAILURE, code, err.toString());
        final String name = command.split(" ")[0];
        assertEquals("mailflow " + name + ": cannot reach Kafka at " + nowhere + " (timed out after 1 s)", err.toString().trim());
        assertTrue(took.compareTo(Duration.ofSeconds(8)) < 0, "gave up after " + took);
    }
}
