package io.mailflow.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.app.Mailflow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The launcher sizes a replay's input by its positional arguments, so it skips the value of every
 * option that takes one (`--out DIR` is not an input). That list is bash, written by hand: this
 * keeps it equal to the options `mailflow replay` has, so a new option with a value cannot make
 * the launcher count its value as a log file (or miss a log file after a flag).
 */
@DisplayName("The launcher knows which replay options take a value")
class LauncherReplayOptionsTest {
    private static final Path LAUNCHER = Path.of(System.getProperty("mailflow.project.dir",
        Path.of("").toAbsolutePath().getParent().toString())).resolve("deploy/bin/mailflow");

    @Test
    void everyReplayOptionWithAValueIsSkippedAndNoOther() throws Exception {
        final CommandLine replay = Mailflow.commandLine().getSubcommands().get("replay");
        final Set<String> takingValues = replay.getCommandSpec().options().stream()
            .filter(o -> o.arity().min() > 0)
            .flatMap(o -> Arrays.stream(o.names()))
            .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(takingValues.contains("--out"), "the replay's options as picocli sees them: " + takingValues);

        assertEquals(takingValues, skippedByLauncher(Files.readString(LAUNCHER)),
            "deploy/bin/mailflow replay_input_bytes: the options whose next argument it skips");
    }

    /** The option names of the case branch in replay_input_bytes that sets skip=true. */
    private static Set<String> skippedByLauncher(final String launcher) {
        final Matcher function = Pattern.compile("replay_input_bytes\\(\\) \\{(.*?)\\n\\}", Pattern.DOTALL).matcher(launcher);
        assertTrue(function.find(), "replay_input_bytes() in " + LAUNCHER);
        final Matcher branch = Pattern.compile("\\n\\s*(-[^)]*?)\\)\\s*skip=true", Pattern.DOTALL).matcher(function.group(1));
        assertTrue(branch.find(), "the skip=true branch of replay_input_bytes");
        return Arrays.stream(branch.group(1).replace("\\\n", "").split("\\|"))
            .map(String::strip).collect(Collectors.toCollection(TreeSet::new));
    }
}
