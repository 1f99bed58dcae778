package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A replay run is named by its input files and the options that shape its records")
class ReplayRunTest {
    @TempDir
    Path dir;

    @Test
    void theSameFilesAreTheSameRunAndOneChangedByteIsAnother() throws Exception {
        final Path log = Files.writeString(dir.resolve("maillog"), "Mar  2 10:00:00 mx postfix/smtp[1]: ABC123: to=<a@b.c>, status=sent\n");
        final String first = ReplayRun.idOf(List.of(log), ReplayOptions.defaults());
        assertEquals(first, ReplayRun.idOf(List.of(dir), ReplayOptions.defaults()), "a directory is the files in it");
        assertEquals(first, ReplayRun.await(ReplayRun.idInBackground(List.of(log), ReplayOptions.defaults())),
            "computed while the broker starts, the id is the same");
        assertNotEquals(first, ReplayRun.idOf(List.of(log), ReplayOptions.defaults().withReferenceYear(2020)),
            "the reference year changes the records");
        Files.writeString(log, "Mar  2 10:00:00 mx postfix/smtp[1]: ABC123: to=<a@b.c>, status=bounced\n");
        assertNotEquals(first, ReplayRun.idOf(List.of(log), ReplayOptions.defaults()));
    }

    @Test
    void aFileGoneBeforeTheDigestFailsTheReplayWithTheSameErrorOnTheCallersThread() {
        final Path missing = dir.resolve("gone.log");
        final UnsupportedTraceFileException e = assertThrows(UnsupportedTraceFileException.class,
            () -> ReplayRun.await(ReplayRun.idInBackground(List.of(missing), ReplayOptions.defaults())));
        assertEquals(missing + ": no such file or directory", e.getMessage());
        assertEquals(UnsupportedTraceFileException.PATH_EXIT_CODE, e.exitCode());
    }
}
