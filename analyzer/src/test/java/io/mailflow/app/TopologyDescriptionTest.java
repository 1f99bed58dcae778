package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The topology as checked in: every source, processor, store, internal topic and sink, by name,
 * and every changelog and repartition topic with its configuration ({@code mailflow topology}).
 * A change to any of them changes the changelog and repartition topics a deployed application
 * already has, so it must be deliberate: regenerate the file with
 * {@code java -jar analyzer/target/mailflow.jar topology > analyzer/src/test/resources/topology-description.txt}
 * and say in the commit what a running deployment has to do.
 */
@DisplayName("The topology and its internal topics are the ones checked in (topology-description.txt)")
class TopologyDescriptionTest {

    @Test
    void describeEqualsTheCheckedInText() throws IOException {
        final String expected;
        try (InputStream in = TopologyDescriptionTest.class.getResourceAsStream("/topology-description.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(expected.strip(), TopologyCommand.text(defaults()).strip(),
            "the topology changed; if on purpose, regenerate src/test/resources/topology-description.txt (see the class doc)");
    }

    /**
     * {@link StreamsSettings} turns off {@code max.task.idle.ms} (-1): a task never waits for a
     * partition with no data buffered. That is only safe while no task reads two partitions whose
     * records must be interleaved by time, that is while every sub-topology has one source of
     * one topic. A join or a second source breaks this; then revisit that setting.
     */
    @Test
    void everySubTopologyReadsOneTopicSoNoTaskWaitsForAnother() {
        final List<String> several = new ArrayList<>();
        for (final TopologyDescription.Subtopology sub : description().subtopologies()) {
            final List<String> topics = new ArrayList<>();
            sub.nodes().stream().filter(n -> n instanceof TopologyDescription.Source)
                .forEach(n -> topics.addAll(((TopologyDescription.Source) n).topicSet()));
            if (topics.size() != 1) {
                several.add("sub-topology " + sub.id() + " reads " + topics);
            }
        }
        assertTrue(several.isEmpty(), "max.task.idle.ms=-1 (StreamsSettings) assumes one source topic per sub-topology: "
            + several);
    }

    private static TopologyDescription description() {
        return MailflowTopology.build(defaults()).describe();
    }

    private static MailflowConfig defaults() {
        return MailflowConfig.builder().defaults().override("schema.registry.url", "mock://topology-description-test").build();
    }
}
