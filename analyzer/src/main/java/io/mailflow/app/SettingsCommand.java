package io.mailflow.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code mailflow settings}: the settings reference, generated from the code (docs/settings.md is its output). */
@Command(name = "settings", mixinStandardHelpOptions = true,
    description = {"Print every setting with its default and meaning, as Markdown (docs/settings.md is this output)."})
public final class SettingsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(Settings.markdown());
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
