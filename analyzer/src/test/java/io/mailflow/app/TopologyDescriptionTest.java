package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The topology as checked in: every source, processor, store, internal topic and sink, by name.
 * A change to any of them changes the changelog and repartition topics a deployed application
 * already has, so it must be deliberate: regenerate the file with
 * {@code java -jar analyzer/target/mailflow.jar topology > analyzer/src/test/resources/topology-description.txt}
 * and say in the commit what a running deployment has to do.
 */
@DisplayName("The topology is the one checked in (topology-description.txt)")
class TopologyDescriptionTest {

    @Test
    void describeEqualsTheCheckedInText() throws IOException {
        final String expected;
        try (InputStream in = TopologyDescriptionTest.class.getResourceAsStream("/topology-description.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        final MailflowConfig config = MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://topology-description-test").build();
        assertEquals(expected.strip(), MailflowTopology.build(config).describe().toString().strip(),
            "the topology changed; if on purpose, regenerate src/test/resources/topology-description.txt (see the class doc)");
    }
}
