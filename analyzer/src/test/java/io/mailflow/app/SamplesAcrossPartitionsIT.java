package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled real logs, replayed together, span years of event time: an Exchange Online export
 * of 2022, Postfix logs of 2026 (the year inferred), gaps of months to years between them. Before
 * 2026-12-04 the queue tracker visited every 30 s grid point of such a gap (3.5 million for the
 * first, 8 s of a stalled task) and the stalled traces task, its fetched records still waiting in
 * its buffer, reported its partition idle: with two partitions the stats stage closed two windows
 * before their counts arrived, in 3 of 4 runs. The same files must give the same outputs on one
 * partition and on two, every time.
 */
@DisplayName("The bundled real logs give the same outputs on one partition and on two")
class SamplesAcrossPartitionsIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("replay --embedded of the samples, spanning years, on 1 and on 2 partitions: every output file equal")
    void samplesGiveTheSameOutputsOnAnyPartitioning() throws Exception {
        final Map<String, String> onePartition = replay("one", "1");
        final Map<String, String> twoPartitions = replay("two", "2");
        assertTrue(onePartition.get("mailflow.connector-stats.jsonl").lines().count() >= 5,
            "the samples' deliveries and failures are counted: " + onePartition);
        assertTrue(onePartition.get("mailflow.ndr.jsonl").lines().count() >= 3, "and their NDRs: " + onePartition);
        assertEquals(onePartition, twoPartitions);
    }

    /** The --out files of one embedded replay of the samples, by name. */
    private Map<String, String> replay(final String name, final String partitions) throws Exception {
        final Path out = dir.resolve(name);
        final List<String> args = new ArrayList<>(List.of("replay", "--embedded", "--out", out.toString(),
            "-D", "mailflow.topic.partitions=" + partitions, "-D", "num.stream.threads=" + partitions));
        args.addAll(BundledSamples.traceLogs());
        assertEquals(0, Mailflow.execute(args.toArray(String[]::new)), "replay on " + partitions + " partition(s)");
        final Map<String, String> files = new TreeMap<>();
        try (Stream<Path> written = Files.list(out)) {
            for (final Path file : written.toList()) {
                files.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        return files;
    }
}
