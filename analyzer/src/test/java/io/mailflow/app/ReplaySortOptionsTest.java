package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mailflow.ingest.SortOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

@DisplayName("replay --sort, --no-sort, --sort-buffer, --sort-dir")
class ReplaySortOptionsTest {

    private static ReplayCommand parse(final String... args) {
        final ReplayCommand command = new ReplayCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    @DisplayName("by default exports are sorted and logs stream, 200,000 records in memory, runs spilled under java.io.tmpdir")
    void defaults() {
        final SortOptions sort = parse("logs/").sortOptions();
        assertEquals(SortOptions.Mode.AUTO, sort.mode());
        assertEquals(SortOptions.DEFAULT_BUFFER, sort.buffer());
        assertNull(sort.dir());
    }

    @Test
    @DisplayName("--sort sorts every file, --no-sort none; --sort-buffer and --sort-dir are taken as given")
    void flags() {
        assertEquals(SortOptions.Mode.ALWAYS, parse("--sort", "logs/").sortOptions().mode());
        assertEquals(SortOptions.Mode.NEVER, parse("--no-sort", "logs/").sortOptions().mode());
        final SortOptions sort = parse("--sort-buffer", "5000", "--sort-dir", "/var/tmp/x", "logs/").sortOptions();
        assertEquals(5_000, sort.buffer());
        assertEquals(Path.of("/var/tmp/x"), sort.dir());
        assertThrows(MailflowConfig.ConfigException.class, () -> parse("--sort-buffer", "0", "logs/").sortOptions());
    }
}
