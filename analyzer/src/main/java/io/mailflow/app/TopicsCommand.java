package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mailflow topics}: create or verify mailflow's topics. */
@Command(name = "topics", mixinStandardHelpOptions = true,
    description = {"Create mailflow's topics where missing, or only check them (--verify).",
        "--create, the default, creates what is missing; --verify changes nothing and exits 1 when a topic is missing."})
public final class TopicsCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--verify", description = "Do not create anything; exit 1 when a topic is missing.")
    boolean verify;

    @Option(names = "--create", description = "Create missing topics (default).")
    boolean create;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        final MailflowConfig config = configOptions.resolve();
        KafkaReachability.require(config);
        try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
            final List<TopicAdmin.TopicStatus> report = TopicAdmin.ensure(admin, TopicAdmin.specs(config), verify);
            final var out = spec.commandLine().getOut();
            out.printf("%-32s %-8s %10s  %s%n", "TOPIC", "STATUS", "PARTITIONS", "NOTE");
            report.forEach(s -> out.printf("%-32s %-8s %10d  %s%n", s.name(), s.action(), s.partitions(), s.note()));
            return report.stream().anyMatch(s -> s.action().equals("missing")) ? ExitCodes.RUNTIME_FAILURE : ExitCodes.OK;
        }
    }
}
