package io.mailflow.ingest.follow;

import static io.mailflow.ingest.follow.Logs.append;
import static io.mailflow.ingest.follow.Logs.appendBytes;
import static io.mailflow.ingest.follow.Logs.drainTexts;
import static io.mailflow.ingest.follow.Logs.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrowingFileTest {
    @TempDir
    Path dir;

    private List<FollowSpec> specs() {
        return Logs.spec("postfix", dir + "/mail.log*");
    }

    @Test
    void partialLastLineWaitsForItsTerminator() throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\na2\npart");
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty())) {
            final List<FollowedLine> first = f.poll(100);
            assertEquals(List.of("a1", "a2"), texts(first));
            assertEquals(List.of(1L, 2L), first.stream().map(FollowedLine::lineNumber).toList());
            assertEquals(List.of(3L, 6L), first.stream().map(FollowedLine::endOffset).toList());
            assertEquals(log, first.get(0).path());
            assertEquals("postfix", first.get(0).stream());
            assertEquals(List.of(), f.poll(100));
            assertEquals(Map.of(log, 4L), f.lagBytes());
            append(log, "ial\na3\n");
            final List<FollowedLine> second = f.poll(100);
            assertEquals(List.of("partial", "a3"), texts(second));
            assertEquals(List.of(3L, 4L), second.stream().map(FollowedLine::lineNumber).toList());
            assertEquals(List.of(14L, 17L), second.stream().map(FollowedLine::endOffset).toList());
            assertEquals(Map.of(log, 0L), f.lagBytes());
            assertEquals(List.of(), f.poll(100));
        }
    }

    @Test
    void crlfAndExchangeBomAreNotPartOfTheText() throws IOException {
        final Path log = dir.resolve("MSGTRK2026120207-1.LOG");
        appendBytes(log, new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf});
        append(log, "#Software: Microsoft Exchange Server\r\n#Version: 15.02\r\nrow\r");
        try (FileFollower f = new FileFollower(Logs.spec("ex", dir + "/MSGTRK*.LOG"), FollowPositions.empty())) {
            final List<FollowedLine> got = f.poll(100);
            assertEquals(List.of("#Software: Microsoft Exchange Server", "#Version: 15.02"), texts(got));
            assertEquals(3 + 38, got.get(0).endOffset());
            // a CR at the end may be half a CRLF: the line waits
            assertEquals(List.of(), f.poll(100));
            append(log, "\n");
            assertEquals(List.of("row"), texts(f.poll(100)));
        }
    }

    @Test
    void emptyFileIsFollowedOnceItHasLines() throws IOException {
        final Path log = dir.resolve("mail.log");
        Files.createFile(log);
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty())) {
            assertEquals(List.of(), f.poll(100));
            final String saved = f.positions().toJson();
            append(log, "\n\nx\n");
            assertEquals(List.of("", "", "x"), texts(f.poll(100)));
            try (FileFollower again = Logs.start(specs(), saved)) {
                assertEquals(List.of("", "", "x"), drainTexts(again));
            }
        }
    }

    @Test
    void malformedUtf8IsReplaced() throws IOException {
        final Path log = dir.resolve("mail.log");
        appendBytes(log, new byte[] {'a', (byte) 0xff, 'b', '\n'});
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty())) {
            assertEquals(List.of("a\uFFFDb"), texts(f.poll(100)));
        }
    }

    @Test
    void maxLinesIsHonouredAndEveryPollsPositionsRestartExactly() throws IOException {
        final Path log = dir.resolve("mail.log");
        final List<String> all = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            all.add("line " + i);
            append(log, "line " + i + "\n");
        }
        final List<String> saved = new ArrayList<>();
        final List<String> got = new ArrayList<>();
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty())) {
            saved.add(f.positions().toJson());
            while (true) {
                final List<FollowedLine> lines = f.poll(2);
                assertTrue(lines.size() <= 2);
                if (lines.isEmpty()) {
                    break;
                }
                got.addAll(texts(lines));
                saved.add(f.positions().toJson());
            }
        }
        assertEquals(all, got);
        for (int i = 0; i < saved.size(); i++) {
            try (FileFollower again = Logs.start(specs(), saved.get(i))) {
                assertEquals(all.subList(Math.min(2 * i, all.size()), all.size()), drainTexts(again), "restart " + i);
            }
        }
    }

    @Test
    void veryLongLineComesInPieces() throws IOException {
        final Path log = dir.resolve("mail.log");
        final String longLine = "x".repeat(LineCursor.MAX_LINE_BYTES + 10);
        append(log, longLine + "\nshort\n");
        try (FileFollower f = new FileFollower(specs(), FollowPositions.empty())) {
            final List<String> got = drainTexts(f);
            assertEquals(3, got.size());
            assertEquals(LineCursor.MAX_LINE_BYTES, got.get(0).length());
            assertEquals("x".repeat(10), got.get(1));
            assertEquals("short", got.get(2));
        }
        assertEquals(longLine.length() + 7, Files.size(log));
    }
}
