package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code mailflow topology}: print the Streams topology with every processor and store, then the
 * internal topics Kafka Streams will create for it: which stores have a changelog, under which
 * name and configuration (what an operator pre-creates, grants ACLs for or sizes a cluster by).
 */
@Command(name = "topology", mixinStandardHelpOptions = true,
    description = {"Print the Kafka Streams topology and the internal topics it needs.",
        "First every processor, store and internal topic; then each changelog and repartition",
        "topic with its name under the configured application.id and its topic configuration,",
        "and the stores that have no changelog. Nothing connects to Kafka."})
public final class TopologyCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        final MailflowConfig config = configOptions.resolve().with("schema.registry.url", "mock://topology");
        spec.commandLine().getOut().print(text(config));
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }

    /** What the command prints for {@code config}: the topology's description and its internal topics. */
    static String text(final MailflowConfig config) {
        final Topology topology = MailflowTopology.build(config);
        final TopologyDescription description = topology.describe();
        final Properties props = StreamsSettings.streamsProperties(config);
        final String applicationId = props.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        final List<InternalTopics.Described> internal = InternalTopics.describe(topology, props);
        final StringBuilder out = new StringBuilder(description.toString().strip()).append("\n\n");
        final int replication = new StreamsConfig(props).getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG);
        out.append("Internal topics of application.id=").append(applicationId).append(" (Kafka Streams creates them at the first start, ")
            .append("each changelog with a partition per task of its sub-topology, replication.factor=").append(replication)
            .append(replication < 0 ? ": the broker's default" : "").append("):\n");
        final int width = internal.stream().mapToInt(t -> t.name().length()).max().orElse(0);
        int subtopology = -1;
        for (final InternalTopics.Described topic : internal) {
            if (topic.subtopology() != subtopology) {
                subtopology = topic.subtopology();
                out.append("   Sub-topology: ").append(subtopology).append(topic.tasks() > 0
                    ? " (" + topic.tasks() + (topic.tasks() == 1 ? " task" : " tasks") + ": the partitions of its repartition topic)"
                    : " (a task per partition of " + String.join(", ", topic.sources()) + ")").append('\n');
            }
            out.append(String.format("    %-11s %-" + width + "s  %s%n", topic.changelog() ? "changelog" : "repartition", topic.name(),
                topic.configs().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "))));
        }
        final Set<String> unlogged = new TreeSet<>();
        for (final TopologyDescription.Subtopology sub : description.subtopologies()) {
            for (final TopologyDescription.Node node : sub.nodes()) {
                if (node instanceof TopologyDescription.Processor processor) {
                    unlogged.addAll(processor.stores());
                }
            }
        }
        internal.stream().filter(InternalTopics.Described::changelog)
            .forEach(t -> unlogged.remove(t.name().substring(applicationId.length() + 1, t.name().length() - "-changelog".length())));
        out.append("Stores without a changelog: ").append(unlogged.isEmpty() ? "none" : String.join(", ", unlogged)).append('\n');
        return out.toString();
    }
}
