package io.mailflow.ingest.follow;

import static io.mailflow.ingest.follow.Logs.append;
import static io.mailflow.ingest.follow.Logs.drain;
import static io.mailflow.ingest.follow.Logs.drainTexts;
import static io.mailflow.ingest.follow.Logs.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * logrotate's copytruncate: mail.log copied to mail.log.1, then mail.log truncated in place and
 * written again. The lines appended since the last poll are in the copy (same fingerprint, other
 * inode); the original restarts as new content.
 */
class CopyTruncateTest {
    @TempDir
    Path dir;

    private List<FollowSpec> specs(final boolean globMatchesCopy) {
        return Logs.spec("postfix", dir + (globMatchesCopy ? "/mail.log*" : "/mail.log"));
    }

    /** New content shorter than what was read (size < offset), or already longer (only the head differs). */
    private static String newContent(final boolean longer) {
        return longer ? "b1 a new line longer than all that was read before the copy\n" : "b1\n";
    }

    @ParameterizedTest(name = "glob matches copy: {0}, new content longer: {1}")
    @CsvSource({"true,false", "true,true", "false,false", "false,true"})
    void appendedLinesComeFromTheCopyThenTheTruncatedOriginalFromZero(final boolean globMatchesCopy,
            final boolean longer) throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\na2\n");
        try (FileFollower f = new FileFollower(specs(globMatchesCopy), FollowPositions.empty())) {
            assertEquals(List.of("a1", "a2"), texts(f.poll(100)));
            append(log, "a3\na4 cut");
            Logs.copyTruncate(log, dir.resolve("mail.log.1"));
            append(log, newContent(longer));
            final List<FollowedLine> got = drain(f);
            assertEquals(List.of("a3", "a4 cut", newContent(longer).strip()), texts(got));
            assertEquals(List.of(3L, 4L, 1L), got.stream().map(FollowedLine::lineNumber).toList());
            assertEquals(dir.resolve("mail.log.1"), got.get(0).path());
            assertEquals(log, got.get(2).path());
            append(log, "b2\n");
            assertEquals(List.of("b2"), drainTexts(f));
        }
    }

    @ParameterizedTest(name = "glob matches copy: {0}, new content longer: {1}")
    @CsvSource({"true,false", "true,true", "false,false", "false,true"})
    void copyTruncateWhileStopped(final boolean globMatchesCopy, final boolean longer) throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\na2\n");
        final String saved;
        try (FileFollower f = new FileFollower(specs(globMatchesCopy), FollowPositions.empty())) {
            assertEquals(List.of("a1", "a2"), texts(f.poll(100)));
            saved = Logs.stop(f);
        }
        append(log, "a3\n");
        Logs.copyTruncate(log, dir.resolve("mail.log.1"));
        append(log, newContent(longer));
        try (FileFollower f = Logs.start(specs(globMatchesCopy), saved)) {
            assertEquals(List.of("a3", newContent(longer).strip()), drainTexts(f));
            final String again = Logs.stop(f);
            try (FileFollower g = Logs.start(specs(globMatchesCopy), again)) {
                assertEquals(List.of(), drainTexts(g));
            }
        }
    }

    @ParameterizedTest(name = "glob matches copy: {0}")
    @CsvSource({"true", "false"})
    void copyTruncatedThenRenamedAndDeletedWithNewLinesPastTheOffsetBetweenTwoPolls(final boolean globMatchesCopy)
            throws IOException {
        final Path log = dir.resolve("mail.log");
        // beside mail.log lie two unknown files at the end; a fingerprint of a few bytes would not
        // tell them apart, a real log line does
        final String a1 = "Dec  2 07:00:01 mx1 postfix/smtpd[1234]: connect from a1.example.org[192.0.2.1]";
        append(log, a1 + "\n");
        try (FileFollower f = new FileFollower(specs(globMatchesCopy), FollowPositions.empty())) {
            assertEquals(List.of(a1), texts(f.poll(100)));
            append(log, "a2\n");
            Logs.copyTruncate(log, dir.resolve("mail.log.1"));
            // the truncated file gets more than was read before, then is rotated away: only the open
            // handle still sees it, and its head tells it is other content now, read through the handle
            append(log, "b1 longer than a1" + "!".repeat(a1.length()) + "\n");
            Logs.rename(log, dir.resolve("mail.log.2"));
            Logs.gzip(dir.resolve("mail.log.2"));
            append(log, "c1\n");
            // b1's file left the globs: the handle still reads it
            assertEquals(List.of("a2", "b1 longer than a1" + "!".repeat(a1.length()), "c1"), drainTexts(f));
            assertEquals(List.of(), drainTexts(f));
        }
    }

    @ParameterizedTest(name = "glob matches copy: {0}")
    @CsvSource({"true", "false"})
    void truncatedBeforeItWasWrittenAgain(final boolean globMatchesCopy) throws IOException {
        final Path log = dir.resolve("mail.log");
        append(log, "a1\n");
        try (FileFollower f = new FileFollower(specs(globMatchesCopy), FollowPositions.empty())) {
            assertEquals(List.of("a1"), texts(f.poll(100)));
            append(log, "a2\n");
            Logs.copyTruncate(log, dir.resolve("mail.log.1"));
            assertEquals(List.of("a2"), drainTexts(f));
            append(log, "b1\n");
            assertEquals(List.of("b1"), drainTexts(f));
        }
    }
}
