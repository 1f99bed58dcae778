package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code mailflow topology}: print the Streams topology with every processor, store and internal topic name. */
@Command(name = "topology", mixinStandardHelpOptions = true,
    description = {"Print the Kafka Streams topology: every processor, store and internal topic.",
        "Nothing connects to Kafka."})
public final class TopologyCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        final MailflowConfig config = configOptions.resolve().with("schema.registry.url", "mock://topology");
        spec.commandLine().getOut().println(MailflowTopology.build(config).describe());
        return ExitCodes.OK;
    }
}
