package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.app.Mailflow;
import io.mailflow.avro.MessageTrace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exports as they come, end to end: a multi-hour, multi-outage scenario written as Exchange Online
 * extended reports, once in time order in one file and once shuffled and split across three files
 * (as a tenant's historical searches arrive), through `mailflow replay --embedded --out`: every
 * output file must be byte-identical.
 */
class ShuffledExportsIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("extended reports in random row order, split across three files, give byte-identical replay output to the ordered file")
    void shuffledSplitExportsGiveTheOrderedOutput() throws Exception {
        final List<MessageTrace> scenario = ExportRows.sixHoursWithThreeOutages(23);
        final List<String> header = List.of(ExportRows.EXTENDED_HEADER);
        final List<String> rows = ExportRows.extendedReportRows(scenario);
        final Path ordered = Files.writeString(dir.resolve("ordered.csv"), ExportRows.file(header, rows));
        final List<String> shuffled = ExportRows.shuffled(rows, 5);
        final int third = shuffled.size() / 3;
        final List<String> files = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            final List<String> part = shuffled.subList(i * third, i == 2 ? shuffled.size() : (i + 1) * third);
            files.add(Files.writeString(dir.resolve("search-" + (i + 1) + ".csv"), ExportRows.file(header, part)).toString());
        }

        final Path outOrdered = dir.resolve("out-ordered");
        final Path outShuffled = dir.resolve("out-shuffled");
        assertEquals(0, Mailflow.execute("replay", "--embedded", "--out", outOrdered.toString(), ordered.toString()));
        final List<String> args = new ArrayList<>(List.of("replay", "--embedded", "--out", outShuffled.toString()));
        args.addAll(files);
        assertEquals(0, Mailflow.execute(args.toArray(String[]::new)));

        for (final String topic : List.of("alerts", "ndr", "delays", "connector-stats", "dead-letters")) {
            final String name = "mailflow." + topic + ".jsonl";
            assertEquals(Files.readString(outOrdered.resolve(name)), Files.readString(outShuffled.resolve(name)), name);
        }
        assertTrue(Files.readAllLines(outOrdered.resolve("mailflow.alerts.jsonl")).size() >= 6, "the outages fire and resolve");
        assertTrue(Files.readAllLines(outOrdered.resolve("mailflow.connector-stats.jsonl")).size() > 100);
    }
}
