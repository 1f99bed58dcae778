package io.mailflow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A CI-sized run of `mailflow bench` on the embedded broker: every section runs and reports sane
 * numbers. No timing targets: the machine decides those; docs/benchmarks.md records them.
 */
class BenchSmokeIT {

    @Test
    @DisplayName("a small bench run reports every section with non-zero numbers and writes them as JSON")
    void smallRunReportsEverySection(@TempDir final Path dir) throws Exception {
        final Path json = dir.resolve("bench.json");
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final int code = new CommandLine(new BenchCommand(new PrintStream(stdout, true, StandardCharsets.UTF_8))).execute(
            "--records", "20000", "--repeats", "1", "--warmups", "0", "--partitions", "4",
            "--latency-rate", "10000", "--latency-seconds", "15",
            // episodes fire after 2 minutes of failures instead of 15, so 15 s of live traffic sees several
            "--set", "mailflow.detect.fire-after=2m",
            "--queued-recipients", "8000", "--json", json.toString());
        final String printed = stdout.toString(StandardCharsets.UTF_8);
        System.out.print(printed);
        assertEquals(0, code, printed);

        final JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertTrue(r.at("/preload/records").asLong() >= 20_000);
        // the traces plus the generator's progress markers (one per silent partition and minute, one per partition at the end)
        final long topicRecords = r.at("/preload/topicRecords").asLong();
        assertTrue(topicRecords >= r.at("/preload/records").asLong() + 4, "a marker at the end on each of the 4 partitions");
        assertTrue(r.at("/preload/recordsByType/RECEIVE").asLong() > 0);
        for (final String section : new String[] {"rawConsume", "passThroughExactlyOnceV2", "fullTopologyExactlyOnceV2",
            "fullTopologyAtLeastOnce"}) {
            final JsonNode s = r.at("/throughput/" + section);
            assertTrue(s.at("/medianRecordsPerSecond").asDouble() > 0, section + ": " + s);
            assertEquals(topicRecords, s.at("/runs/0/records").asLong(), section + " read every record");
        }
        assertTrue(r.at("/throughput/ratios/fullExactlyOnceV2ToRaw").asDouble() > 0);
        assertTrue(r.at("/throughput/ratios/fullExactlyOnceV2ToPassThrough").asDouble() > 0);

        final JsonNode latency = r.at("/alertLatency");
        assertEquals(150_000, latency.at("/producedRecords").asLong());
        assertTrue(latency.at("/firingConnectorAlerts").asInt() > 0, "the staggered outages open episodes that fire: " + latency);
        assertTrue(latency.at("/p50Millis").asDouble() > 0);
        assertTrue(latency.at("/p50Millis").asDouble() <= latency.at("/p99Millis").asDouble());

        final JsonNode state = r.at("/state");
        assertTrue(state.at("/queuedRecipients").asLong() > 6_000, state.toString());
        assertTrue(state.at("/heapAfterBytes").asLong() > 0);
        assertTrue(state.at("/rssAfterBytes").asLong() > 0, "VmRSS read from /proc/self/status");
        assertTrue(state.at("/stateDirBytes").asLong() >= 0);

        for (final String label : new String[] {"1 raw consume", "2 pass-through", "3 full topology, exactly_once_v2",
            "3 full topology, at_least_once", "ratios:", "4 alert latency", "5 state"}) {
            assertTrue(printed.contains(label), "prints " + label);
        }
    }
}
