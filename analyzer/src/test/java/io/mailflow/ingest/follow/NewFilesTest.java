package io.mailflow.ingest.follow;

import static io.mailflow.ingest.follow.Logs.append;
import static io.mailflow.ingest.follow.Logs.drain;
import static io.mailflow.ingest.follow.Logs.drainTexts;
import static io.mailflow.ingest.follow.Logs.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exchange writes a new MSGTRK file every hour or at a size limit; the glob picks each up. */
class NewFilesTest {
    @TempDir
    Path dir;

    private List<FollowSpec> exchange() {
        return Logs.spec("ex01", dir + "/EX01/MSGTRK*.LOG");
    }

    @Test
    void hourlyFilesAreReadInOrderPolledOrNot() throws IOException {
        Files.createDirectories(dir.resolve("EX01"));
        final Path h07 = dir.resolve("EX01/MSGTRK2026120207-1.LOG");
        append(h07, "#Date: 07\n07a\n");
        try (FileFollower f = new FileFollower(exchange(), FollowPositions.empty())) {
            assertEquals(List.of("#Date: 07", "07a"), texts(f.poll(100)));
            append(h07, "07b\n");
            // two new hours while nobody polled
            append(dir.resolve("EX01/MSGTRK2026120208-1.LOG"), "#Date: 08\n08a\n");
            append(dir.resolve("EX01/MSGTRK2026120209-1.LOG"), "#Date: 09\n09a\n");
            append(dir.resolve("EX01/other.txt"), "not matched\n");
            assertEquals(List.of("07b", "#Date: 08", "08a", "#Date: 09", "09a"), drainTexts(f));
            append(dir.resolve("EX01/MSGTRK2026120209-1.LOG"), "09b\n");
            append(dir.resolve("EX01/MSGTRK2026120210-1.LOG"), "#Date: 10\n");
            assertEquals(List.of("09b", "#Date: 10"), drainTexts(f));
            final String saved = Logs.stop(f);
            append(dir.resolve("EX01/MSGTRK2026120210-1.LOG"), "10a\n");
            append(dir.resolve("EX01/MSGTRK2026120211-1.LOG"), "#Date: 11\n");
            try (FileFollower again = Logs.start(exchange(), saved)) {
                assertEquals(List.of("10a", "#Date: 11"), drainTexts(again));
            }
        }
    }

    @Test
    void exchangeHeadersAlikeButForTheDate() throws IOException {
        Files.createDirectories(dir.resolve("EX01"));
        final String bom = "\uFEFF";
        final String header = "#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n"
                + "#Log-type: Message Tracking Log\r\n";
        final Path h07 = dir.resolve("EX01/MSGTRK2026120207-1.LOG");
        append(h07, bom + header + "#Date: 2026-12-02T07:00:00.012Z\r\nrow 07\r\n");
        try (FileFollower f = new FileFollower(exchange(), FollowPositions.empty())) {
            assertEquals(List.of("#Software: Microsoft Exchange Server", "#Version: 15.02.1544.004",
                    "#Log-type: Message Tracking Log", "#Date: 2026-12-02T07:00:00.012Z", "row 07"), drainTexts(f));
            // the next hour's file, caught while only its first header lines are written: they start
            // like the older file, so it waits until it differs
            final Path h08 = dir.resolve("EX01/MSGTRK2026120208-1.LOG");
            append(h08, bom + header);
            assertEquals(List.of(), drainTexts(f));
            append(h08, "#Date: 2026-12-02T08:00:00.004Z\r\nrow 08\r\n");
            final List<FollowedLine> got = drain(f);
            assertEquals(List.of("#Software: Microsoft Exchange Server", "#Version: 15.02.1544.004",
                    "#Log-type: Message Tracking Log", "#Date: 2026-12-02T08:00:00.004Z", "row 08"), texts(got));
            assertEquals(h08, got.get(0).path());
            assertEquals(1L, got.get(0).lineNumber());
        }
    }

    @Test
    void severalStreamsAtOnce() throws IOException {
        Files.createDirectories(dir.resolve("EX01"));
        final List<FollowSpec> specs = List.of(
                new FollowSpec("postfix", List.of(dir + "/mail.log*")),
                new FollowSpec("ex01", List.of(dir + "/EX01/MSGTRK*.LOG")));
        append(dir.resolve("mail.log"), "p1\n");
        append(dir.resolve("EX01/MSGTRK2026120207-1.LOG"), "e1\n");
        try (FileFollower f = new FileFollower(specs, FollowPositions.empty())) {
            final List<FollowedLine> got = drain(f);
            assertEquals(List.of("postfix:p1", "ex01:e1"),
                    got.stream().map(l -> l.stream() + ":" + l.text()).toList());
            append(dir.resolve("mail.log"), "p2\n");
            append(dir.resolve("EX01/MSGTRK2026120207-1.LOG"), "e2\n");
            // streams take turns in going first, so each gets lines even with a budget of one
            final List<String> one = List.of(f.poll(1).get(0).text(), f.poll(1).get(0).text());
            assertEquals(List.of("e2", "p2"), one.stream().sorted().toList());
            assertEquals(2, f.positions().files().size());
        }
    }

    @Test
    void firstStartReadsARotatedSetOldestFirst() throws IOException {
        final Path gz = dir.resolve("mail.log.2.gz");
        Files.write(gz, Logs.gzipBytes("old1\nold2\n"));
        append(dir.resolve("mail.log.1"), "mid1\n");
        append(dir.resolve("mail.log"), "new1\n");
        final Instant now = Instant.now();
        Files.setLastModifiedTime(gz, FileTime.from(now.minusSeconds(7200)));
        Files.setLastModifiedTime(dir.resolve("mail.log.1"), FileTime.from(now.minusSeconds(3600)));
        try (FileFollower f = new FileFollower(Logs.spec("postfix", dir + "/mail.log*"), FollowPositions.empty())) {
            assertEquals(List.of("old1", "old2", "mid1", "new1"), drainTexts(f));
            append(dir.resolve("mail.log"), "new2\n");
            assertEquals(List.of("new2"), drainTexts(f));
        }
    }
}
