package io.mailflow.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/kubernetes: the rendered overlays (rendered/*.yaml, made by render.sh with `kubectl
 * kustomize`) parse with fabric8's and Strimzi's models and hold together with each other and with
 * mailflow's settings and topics. Where kubectl is installed the rendered files must also equal a
 * fresh render, so an edit of base/ or overlays/ without render.sh fails here.
 */
class KubernetesManifestsTest {
    private static final Path K8S = Path.of(System.getProperty("mailflow.project.dir",
        Path.of("").toAbsolutePath().getParent().toString())).resolve("deploy/kubernetes");

    private static String rendered(final String overlay) throws IOException {
        return Files.readString(K8S.resolve("rendered").resolve(overlay + ".yaml"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void renderedOverlayHoldsTogether(final String overlay) throws IOException {
        final KubernetesManifests m = KubernetesManifests.parse(rendered(overlay));
        assertEquals(List.of(), m.problems(), overlay);
        // and it holds what it should, so "no problems" is not "nothing checked"
        assertEquals(1, m.all(StatefulSet.class).size());
        assertEquals(8, m.all(KafkaTopic.class).size());
        assertEquals(2, m.all(KafkaUser.class).size());
        assertEquals(overlay.equals("production") ? 3 : 1, m.all(StatefulSet.class).get(0).getSpec().getReplicas());
    }

    @Test
    void everyOverlayIsRendered() throws IOException {
        final TreeSet<String> overlays = new TreeSet<>();
        try (Stream<Path> dirs = Files.list(K8S.resolve("overlays"))) {
            dirs.filter(Files::isDirectory).forEach(d -> overlays.add(d.getFileName().toString()));
        }
        final TreeSet<String> renders = new TreeSet<>();
        try (Stream<Path> files = Files.list(K8S.resolve("rendered"))) {
            files.forEach(f -> renders.add(f.getFileName().toString().replaceFirst("\\.yaml$", "")));
        }
        assertEquals(overlays, renders, "deploy/kubernetes/render.sh renders every overlay");
        assertEquals(new TreeSet<>(List.of("dev", "production")), overlays);
    }

    /** Only where kubectl exists (developers' machines; CI has none): the render is current. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void renderedFileIsWhatKustomizeMakesNow(final String overlay) throws Exception {
        final Path kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
            .map(d -> Path.of(d, "kubectl")).filter(Files::isExecutable).findFirst().orElse(null);
        assumeTrue(kubectl != null, "kubectl is not installed: the checked-in render is validated, not compared");
        final Process p = new ProcessBuilder(kubectl.toString(), "kustomize", K8S.resolve("overlays").resolve(overlay).toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String fresh = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "kubectl kustomize " + overlay);
        assertEquals(fresh, rendered(overlay), "deploy/kubernetes/rendered/" + overlay + ".yaml is stale: run deploy/kubernetes/render.sh");
    }

    // The checks can fail: each mutation of a copy of the production render is caught, by name.

    private static List<String> problemsAfter(final String from, final String to) throws IOException {
        final String original = rendered("production");
        final String mutated = original.replace(from, to);
        assertNotEquals(original, mutated, "the mutation must change the manifests: " + from);
        return KubernetesManifests.parse(mutated).problems();
    }

    private static void assertProblem(final List<String> problems, final String fragment) {
        assertTrue(problems.stream().anyMatch(p -> p.contains(fragment)), "expected a problem with '" + fragment + "' in " + problems);
    }

    @Test
    void moreTopicPartitionsInTheConfigMapThanInTheKafkaTopicsFail() throws IOException {
        final List<String> problems = problemsAfter("mailflow.topic.partitions=6", "mailflow.topic.partitions=12");
        assertProblem(problems, "KafkaTopic mailflow-traces (mailflow.traces): partitions 6, mailflow creates it with 12");
        assertProblem(problems, "KafkaTopic mailflow-raw-lines (mailflow.raw-lines): partitions 6, mailflow creates it with 12");
    }

    @Test
    void aShorterRetentionFails() throws IOException {
        assertProblem(problemsAfter("mailflow.topic.retention=P7D", "mailflow.topic.retention=P3D"),
            "KafkaTopic mailflow-alerts (mailflow.alerts): retention.ms = 604800000, mailflow creates it with 259200000");
    }

    @Test
    void aRenamedTopicFails() throws IOException {
        final List<String> problems = problemsAfter("mailflow.topic.ndr=mailflow.ndr", "mailflow.topic.ndr=mailflow.nondelivery");
        assertProblem(problems, "topic mailflow.nondelivery has no KafkaTopic");
        assertProblem(problems, "KafkaTopic for mailflow.ndr, a topic mailflow does not use");
        assertProblem(problems, "KafkaUser mailflow may not WRITE topic mailflow.nondelivery");
    }

    @Test
    void aMissingAclFails() throws IOException {
        assertProblem(problemsAfter("name: mailflow.alerts\n        patternType: literal", "name: mailflow.alert\n        patternType: literal"),
            "KafkaUser mailflow may not WRITE topic mailflow.alerts");
    }

    @Test
    void anAnalyzerThatMayNotWriteTheTracesTopicFails() throws IOException {
        // raw lines (rsyslog, Vector, Fluent Bit) are parsed inside the analyzer into mailflow.traces
        assertProblem(problemsAfter("    - operations:\n      - Read\n      - Write\n      - Describe\n      - DescribeConfigs\n      resource:\n        name: mailflow.traces",
            "    - operations:\n      - Read\n      - Describe\n      - DescribeConfigs\n      resource:\n        name: mailflow.traces"),
            "KafkaUser mailflow may not WRITE topic mailflow.traces");
    }

    @Test
    void anotherApplicationIdNeedsOtherAcls() throws IOException {
        // (not mailflow-eu: the prefix ACLs for mailflow- cover that one, see docs/deploy.md)
        final List<String> problems = problemsAfter("application.id=mailflow", "application.id=analyzer");
        assertProblem(problems, "KafkaUser mailflow may not READ group analyzer");
        assertProblem(problems, "KafkaUser mailflow may not CREATE topic analyzer-any-store-changelog");
        assertProblem(problems, "KafkaUser mailflow may not WRITE transactionalId analyzer-");
    }

    @Test
    void aServiceSelectingOtherPodsFails() throws IOException {
        assertProblem(problemsAfter("  publishNotReadyAddresses: true\n  selector:\n    app.kubernetes.io/component: analyzer",
            "  publishNotReadyAddresses: true\n  selector:\n    app.kubernetes.io/component: shipper"),
            "Service mailflow-headless: selector {app.kubernetes.io/component=shipper");
    }

    @Test
    void aQueryPortOtherThanTheContainersFails() throws IOException {
        assertProblem(problemsAfter("mailflow.query.port=8080", "mailflow.query.port=9000"),
            "container port query is 8080, not mailflow.query.port 9000");
    }

    @Test
    void anAdvertisedHostOutsideTheHeadlessServiceFails() throws IOException {
        assertProblem(problemsAfter("value: $(POD_NAME).mailflow-headless.$(POD_NAMESPACE).svc\n", "value: $(POD_NAME).example.org\n"),
            "mailflow.query.advertised-host 'mailflow-0.example.org' is not the pod's name under the headless service");
    }

    @Test
    void aProbeOnAnotherPortFails() throws IOException {
        assertProblem(problemsAfter("mailflow.metrics.port=9464", "mailflow.metrics.port=9000"),
            "readiness probe port metrics resolves to 9464, not mailflow.metrics.port 9000");
    }

    @Test
    void aTypoInAFieldNameFails() throws IOException {
        assertProblem(problemsAfter("readinessProbe:", "readinesProbe:"), "unknown field(s) [readinesProbe]");
    }

    @Test
    void kafkaResourcesOfTwoClustersFail() throws IOException {
        final String original = rendered("production");
        final int last = original.lastIndexOf("strimzi.io/cluster: my-cluster");
        final String mutated = original.substring(0, last) + "strimzi.io/cluster: other" + original.substring(last + "strimzi.io/cluster: my-cluster".length());
        assertProblem(KubernetesManifests.parse(mutated).problems(), "strimzi.io/cluster labels disagree: [my-cluster, other]");
    }

    @Test
    void anUndocumentedSecretFails() throws IOException {
        assertProblem(problemsAfter("name: mailflow-registry", "name: registry-credentials"),
            "Secret registry-credentials is neither in the manifests");
    }

    @Test
    void volumeClaimsWithoutThePodLabelsFail() throws IOException {
        assertProblem(problemsAfter("  - metadata:\n      labels:\n        app.kubernetes.io/component: analyzer\n",
            "  - metadata:\n      labels:\n        app.kubernetes.io/component: other\n"),
            "volumeClaimTemplate state: labels {app.kubernetes.io/component=other");
    }

    @Test
    void anUnknownMailflowSettingFails() throws IOException {
        assertProblem(problemsAfter("mailflow.metrics.port=9464", "mailflow.metrics.prot=9464"), "unknown setting 'mailflow.metrics.prot'");
    }
}
