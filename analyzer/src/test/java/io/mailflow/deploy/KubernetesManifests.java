package io.mailflow.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.mailflow.app.Settings;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.TopicAdmin.TopicSpec;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.KafkaUserScramSha512ClientAuthentication;
import io.strimzi.api.kafka.model.user.acl.AclOperation;
import io.strimzi.api.kafka.model.user.acl.AclResourcePatternType;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleGroupResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTransactionalIdResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One rendered overlay of deploy/kubernetes, parsed with fabric8's Kubernetes model and Strimzi's
 * model, and the cross-checks between its documents and mailflow's own settings. {@link #problems()}
 * lists everything wrong, so a test can assert both "nothing" and "exactly this".
 */
final class KubernetesManifests {
    /** The kinds the manifests may hold, and the model class each one is read with. */
    static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
        "ConfigMap", ConfigMap.class,
        "Secret", Secret.class,
        "Service", Service.class,
        "StatefulSet", StatefulSet.class,
        "PodDisruptionBudget", PodDisruptionBudget.class,
        "KafkaTopic", KafkaTopic.class,
        "KafkaUser", KafkaUser.class);

    /**
     * Secrets the manifests reference but do not contain, because someone else makes them: the
     * user creates these (docs/deploy.md). Strimzi's (a KafkaUser's, the cluster CA) are checked
     * against the KafkaUsers and the cluster label instead.
     */
    static final Set<String> USER_PROVIDED_SECRETS = Set.of("mailflow-registry");

    /** The shipper's principal, and the prefix of its transactional ids (LogShipper). */
    static final String SHIPPER_USER = "mailflow-ship";
    static final String SHIPPER_TRANSACTIONAL_PREFIX = "mailflow-ship-";

    private static final ObjectMapper MODEL_MAPPER = new ObjectMapper()
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
    private static final Pattern VAR = Pattern.compile("\\$\\(([A-Z_][A-Z0-9_]*)\\)");
    /** The pod whose point of view env values are expanded from. */
    static final String POD_NAME = "mailflow-0";

    final List<HasMetadata> resources = new ArrayList<>();
    final List<String> problems = new ArrayList<>();

    private KubernetesManifests() {
    }

    static KubernetesManifests parse(final String yaml) {
        final KubernetesManifests m = new KubernetesManifests();
        try (MappingIterator<JsonNode> docs = new YAMLMapper().readerFor(JsonNode.class).readValues(yaml)) {
            int index = 0;
            while (docs.hasNext()) {
                final JsonNode doc = docs.next();
                index++;
                if (doc == null || doc.isNull() || doc.isMissingNode() || doc.isEmpty()) {
                    continue;
                }
                final String kind = doc.path("kind").asText();
                final Class<? extends HasMetadata> type = KINDS.get(kind);
                if (type == null) {
                    m.problems.add("document " + index + ": kind '" + kind + "' is not one the deployment should hold");
                    continue;
                }
                try {
                    final HasMetadata resource = MODEL_MAPPER.treeToValue(doc, type);
                    m.unknownFields(resource, kind + "/" + resource.getMetadata().getName(), new IdentityHashMap<>());
                    m.resources.add(resource);
                } catch (final IOException | IllegalArgumentException e) {
                    m.problems.add("document " + index + " (" + kind + "): not a valid " + type.getSimpleName() + ": " + e.getMessage());
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    static KubernetesManifests load(final Path file) throws IOException {
        return parse(Files.readString(file));
    }

    /** Everything wrong with these manifests; empty when they hold together. */
    List<String> problems() {
        final List<String> all = new ArrayList<>(problems);
        if (!problems.isEmpty()) {
            return all; // a document that did not parse makes the cross-checks meaningless
        }
        new Checks(all).run();
        return all;
    }

    <T extends HasMetadata> List<T> all(final Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> named(final Class<T> type, final String name) {
        return all(type).stream().filter(r -> name.equals(r.getMetadata().getName())).findFirst();
    }

    /**
     * A field the models do not know (a typo such as readinesProbe, or one at the wrong level)
     * lands in a model object's additionalProperties; Kubernetes would drop or refuse it.
     */
    private void unknownFields(final Object object, final String path, final IdentityHashMap<Object, Boolean> seen) {
        if (object == null || seen.put(object, Boolean.TRUE) != null) {
            return;
        }
        if (object instanceof Collection<?> c) {
            int i = 0;
            for (final Object o : c) {
                unknownFields(o, path + "[" + i++ + "]", seen);
            }
            return;
        }
        if (object instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, seen));
            return;
        }
        final String pkg = object.getClass().getPackageName();
        if (!pkg.startsWith("io.fabric8.kubernetes.api.model") && !pkg.startsWith("io.strimzi.api")) {
            return;
        }
        for (final Method getter : object.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || !getter.getName().startsWith("get")
                || getter.getDeclaringClass() == Object.class || getter.getReturnType().isPrimitive()) {
                continue;
            }
            final Object value;
            try {
                value = getter.invoke(object);
            } catch (final ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(path + ": unknown field(s) " + new TreeSet<>(extra.keySet().stream().map(String::valueOf).toList()));
                }
                continue;
            }
            final String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            unknownFields(value, path + "." + field, seen);
        }
    }

    /** The cross-checks; each adds a line to {@code out} for what it finds wrong. */
    private final class Checks {
        private final List<String> out;

        Checks(final List<String> out) {
            this.out = out;
        }

        void run() {
            final List<StatefulSet> sets = all(StatefulSet.class);
            if (sets.size() != 1) {
                out.add("expected one StatefulSet, found " + sets.size());
                return;
            }
            final StatefulSet sts = sets.get(0);
            final Map<String, String> podLabels = Objects.requireNonNullElse(sts.getSpec().getTemplate().getMetadata().getLabels(), Map.of());
            final List<Container> containers = sts.getSpec().getTemplate().getSpec().getContainers();
            if (containers.size() != 1) {
                out.add("expected one container in StatefulSet " + name(sts) + ", found " + containers.size());
                return;
            }
            final Container c = containers.get(0);
            selectors(sts, podLabels);
            final MailflowConfig config = config(sts, c);
            if (config == null) {
                return;
            }
            final String cluster = strimziCluster();
            pod(sts, c, config, cluster);
            topics(config);
            users(sts, c, config);
        }

        private void selectors(final StatefulSet sts, final Map<String, String> podLabels) {
            final Map<String, String> selector = sts.getSpec().getSelector().getMatchLabels();
            if (selector == null || selector.isEmpty() || !matches(selector, podLabels)) {
                out.add("StatefulSet " + name(sts) + ": selector " + selector + " does not select its pod labels " + podLabels);
            }
            final List<Service> services = all(Service.class);
            if (services.isEmpty()) {
                out.add("no Service");
            }
            for (final Service s : services) {
                final Map<String, String> sel = s.getSpec().getSelector();
                if (sel == null || sel.isEmpty() || !matches(sel, podLabels)) {
                    out.add("Service " + name(s) + ": selector " + sel + " does not match the pod labels " + podLabels);
                }
            }
            final Optional<Service> headless = named(Service.class, sts.getSpec().getServiceName());
            if (headless.isEmpty()) {
                out.add("StatefulSet serviceName '" + sts.getSpec().getServiceName() + "' is no Service here");
            } else if (!"None".equals(headless.get().getSpec().getClusterIP())) {
                out.add("Service " + name(headless.get()) + " (the StatefulSet's serviceName) is not headless (clusterIP: None)");
            }
            final List<PodDisruptionBudget> pdbs = all(PodDisruptionBudget.class);
            if (pdbs.size() != 1) {
                out.add("expected one PodDisruptionBudget, found " + pdbs.size());
            }
            for (final PodDisruptionBudget pdb : pdbs) {
                final Map<String, String> sel = pdb.getSpec().getSelector().getMatchLabels();
                if (sel == null || sel.isEmpty() || !matches(sel, podLabels)) {
                    out.add("PodDisruptionBudget " + name(pdb) + ": selector " + sel + " does not match the pod labels " + podLabels);
                }
                if (pdb.getSpec().getMaxUnavailable() == null || !Integer.valueOf(1).equals(pdb.getSpec().getMaxUnavailable().getIntVal())) {
                    out.add("PodDisruptionBudget " + name(pdb) + ": maxUnavailable should be 1");
                }
            }
        }

        /** The settings `mailflow run` resolves in the first pod: file from the ConfigMap, then the env. */
        private MailflowConfig config(final StatefulSet sts, final Container c) {
            final List<String> command = new ArrayList<>(Objects.requireNonNullElse(c.getCommand(), List.of()));
            // no command: the image's entrypoint (docs/deploy.md, "Image") is mailflow itself
            final boolean entrypoint = command.isEmpty();
            command.addAll(Objects.requireNonNullElse(c.getArgs(), List.of()));
            final int run = command.indexOf("run");
            final int dashC = command.indexOf("-c");
            if (command.isEmpty() || !(entrypoint ? run == 0 : command.get(0).endsWith("mailflow"))
                || run < 0 || dashC < 0 || dashC + 1 >= command.size()) {
                out.add("container " + c.getName() + ": command " + command + " is not `mailflow run -c FILE`");
                return null;
            }
            final String file = command.get(dashC + 1);
            final VolumeMount mount = c.getVolumeMounts().stream()
                .filter(m -> file.equals(m.getMountPath()) || file.startsWith(m.getMountPath() + "/")).findFirst().orElse(null);
            if (mount == null) {
                out.add("container " + c.getName() + ": config file " + file + " is on no volume mount");
                return null;
            }
            final String key = file.equals(mount.getMountPath()) ? mount.getSubPath() : file.substring(mount.getMountPath().length() + 1);
            final Volume volume = volume(sts, mount.getName());
            if (volume == null || volume.getConfigMap() == null) {
                out.add("volume " + mount.getName() + " (the config file's) is not a ConfigMap volume");
                return null;
            }
            final Optional<ConfigMap> cm = named(ConfigMap.class, volume.getConfigMap().getName());
            if (cm.isEmpty()) {
                out.add("ConfigMap " + volume.getConfigMap().getName() + " (volume " + volume.getName() + ") is not in the manifests");
                return null;
            }
            final String properties = cm.get().getData() == null ? null : cm.get().getData().get(key);
            if (properties == null) {
                out.add("ConfigMap " + name(cm.get()) + " has no key " + key + " (the config file " + file + ")");
                return null;
            }
            try {
                final Path tmp = Files.createTempFile("mailflow-k8s", ".properties");
                try {
                    Files.writeString(tmp, properties);
                    final MailflowConfig config = MailflowConfig.builder().defaults().file(tmp).env(env(sts, c)).build();
                    Settings.requireKnown(config);
                    return config;
                } finally {
                    Files.deleteIfExists(tmp);
                }
            } catch (final MailflowConfig.ConfigException e) {
                out.add("mailflow.properties: " + e.getMessage());
                return null;
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The container's env as the pod sees it: $(VAR) expanded, Secret values as placeholders. */
        private Map<String, String> env(final StatefulSet sts, final Container c) {
            final Map<String, String> env = new LinkedHashMap<>();
            final String namespace = Objects.requireNonNullElse(sts.getMetadata().getNamespace(), "default");
            for (final EnvVar v : Objects.requireNonNullElse(c.getEnv(), List.<EnvVar>of())) {
                String value;
                if (v.getValue() != null) {
                    final Matcher m = VAR.matcher(v.getValue());
                    final StringBuilder sb = new StringBuilder();
                    while (m.find()) {
                        final String ref = env.get(m.group(1));
                        if (ref == null) {
                            out.add("env " + v.getName() + ": $(" + m.group(1) + ") is not defined before it (Kubernetes leaves it as is)");
                        }
                        m.appendReplacement(sb, Matcher.quoteReplacement(ref == null ? m.group() : ref));
                    }
                    m.appendTail(sb);
                    value = sb.toString();
                } else if (v.getValueFrom() != null && v.getValueFrom().getFieldRef() != null) {
                    value = switch (v.getValueFrom().getFieldRef().getFieldPath()) {
                        case "metadata.name" -> POD_NAME;
                        case "metadata.namespace" -> namespace;
                        default -> "field:" + v.getValueFrom().getFieldRef().getFieldPath();
                    };
                } else if (v.getValueFrom() != null && v.getValueFrom().getSecretKeyRef() != null) {
                    // basic.auth.user.info must look like user:password to pass the serde's check
                    value = "secret:" + v.getValueFrom().getSecretKeyRef().getName() + ":" + v.getValueFrom().getSecretKeyRef().getKey();
                } else {
                    value = "";
                }
                env.put(v.getName(), value);
            }
            return env;
        }

        private void pod(final StatefulSet sts, final Container c, final MailflowConfig config, final String cluster) {
            final int metricsPort = config.getInt("mailflow.metrics.port", 9464);
            final Probe readiness = c.getReadinessProbe();
            if (readiness == null || readiness.getHttpGet() == null || !"/health".equals(readiness.getHttpGet().getPath())) {
                out.add("readiness probe should be GET /health");
            } else {
                probePort("readiness", c, readiness.getHttpGet().getPort(), metricsPort);
            }
            final Probe liveness = c.getLivenessProbe();
            if (liveness == null) {
                out.add("no liveness probe");
            } else {
                if (liveness.getHttpGet() != null && "/health".equals(liveness.getHttpGet().getPath())) {
                    out.add("liveness probe must not be /health: it is 503 while Streams starts or waits for the registry");
                }
                probePort("liveness", c, liveness.getHttpGet() != null ? liveness.getHttpGet().getPort()
                    : liveness.getTcpSocket() != null ? liveness.getTcpSocket().getPort() : null, metricsPort);
            }
            if (c.getStartupProbe() != null) {
                final Probe s = c.getStartupProbe();
                probePort("startup", c, s.getHttpGet() != null ? s.getHttpGet().getPort()
                    : s.getTcpSocket() != null ? s.getTcpSocket().getPort() : null, metricsPort);
            }
            // the query API: its container port is mailflow.query.port (the other pods reach it there)
            final int queryPort = config.getInt("mailflow.query.port", 8080);
            final Integer containerQueryPort = port(c, new IntOrString("query"));
            if (containerQueryPort == null || containerQueryPort != queryPort) {
                out.add("container port query is " + containerQueryPort + ", not mailflow.query.port " + queryPort);
            }
            for (final Service s : all(Service.class)) {
                for (final ServicePort p : s.getSpec().getPorts()) {
                    final Integer target = port(c, p.getTargetPort() == null ? new IntOrString(p.getPort()) : p.getTargetPort());
                    if (target == null || target != metricsPort && target != queryPort) {
                        out.add("Service " + name(s) + " port " + p.getName() + ": targets " + target + ", not the metrics port "
                            + metricsPort + " or the query port " + queryPort);
                    }
                }
            }
            // the state directory is on the pod's persistent volume
            final String stateDir = config.get("state.dir");
            final Set<String> claims = new TreeSet<>();
            for (final PersistentVolumeClaim pvc : Objects.requireNonNullElse(sts.getSpec().getVolumeClaimTemplates(), List.<PersistentVolumeClaim>of())) {
                claims.add(pvc.getMetadata().getName());
                // docs/deploy.md resets the application with `kubectl delete pvc -l <the pod labels>`
                final Map<String, String> labels = pvc.getMetadata().getLabels();
                if (labels == null || !matches(sts.getSpec().getSelector().getMatchLabels(), labels)) {
                    out.add("volumeClaimTemplate " + pvc.getMetadata().getName() + ": labels " + labels
                        + " do not carry the StatefulSet's selector (its claims could not be selected by label)");
                }
            }
            final boolean onClaim = stateDir != null && c.getVolumeMounts().stream()
                .anyMatch(m -> claims.contains(m.getName()) && (stateDir.equals(m.getMountPath()) || stateDir.startsWith(m.getMountPath() + "/")));
            if (!onClaim) {
                out.add("state.dir " + stateDir + " is not on a volumeClaimTemplate mount " + claims);
            }
            // every volume a mount names exists, every ConfigMap and Secret a volume or env names too
            for (final VolumeMount m : c.getVolumeMounts()) {
                if (volume(sts, m.getName()) == null && !claims.contains(m.getName())) {
                    out.add("volume mount " + m.getName() + " names no volume");
                }
            }
            for (final Volume v : Objects.requireNonNullElse(sts.getSpec().getTemplate().getSpec().getVolumes(), List.<Volume>of())) {
                if (v.getConfigMap() != null && named(ConfigMap.class, v.getConfigMap().getName()).isEmpty()) {
                    out.add("volume " + v.getName() + ": ConfigMap " + v.getConfigMap().getName() + " is not in the manifests");
                }
                if (v.getSecret() != null) {
                    secret(v.getSecret().getSecretName(), "volume " + v.getName(), cluster);
                }
            }
            for (final EnvVar e : Objects.requireNonNullElse(c.getEnv(), List.<EnvVar>of())) {
                if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                    secret(e.getValueFrom().getSecretKeyRef().getName(), "env " + e.getName(), cluster);
                }
                if (e.getValueFrom() != null && e.getValueFrom().getConfigMapKeyRef() != null
                    && named(ConfigMap.class, e.getValueFrom().getConfigMapKeyRef().getName()).isEmpty()) {
                    out.add("env " + e.getName() + ": ConfigMap " + e.getValueFrom().getConfigMapKeyRef().getName() + " is not in the manifests");
                }
            }
            // the pod's identity in the group and the stable address
            if (!POD_NAME.equals(config.get("group.instance.id"))) {
                out.add("group.instance.id should be the pod name (static membership), is " + config.get("group.instance.id"));
            }
            // `run` sets application.server to mailflow.query.advertised-host and the query port
            final String advertised = config.get("mailflow.query.advertised-host", "");
            final String host = POD_NAME + "." + sts.getSpec().getServiceName() + ".";
            if (!advertised.startsWith(host)) {
                out.add("mailflow.query.advertised-host '" + advertised + "' is not the pod's name under the headless service (" + host + "...)");
            }
            if (config.get("application.server") != null) {
                out.add("application.server is set, but `run` replaces it with mailflow.query.advertised-host and the query port");
            }
            final int replicas = Objects.requireNonNullElse(sts.getSpec().getReplicas(), 1);
            final int standbys = config.getInt("num.standby.replicas", 0);
            if (standbys > replicas - 1) {
                out.add("num.standby.replicas=" + standbys + " needs more than " + replicas + " instance(s)");
            }
            if (replicas > 1 && standbys < 1) {
                out.add(replicas + " instances without num.standby.replicas: a lost pod's state is restored from scratch");
            }
            final long grace = Objects.requireNonNullElse(sts.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds(), 30L);
            if (grace <= 60) {
                out.add("terminationGracePeriodSeconds " + grace + " is not above the 60 s `run` takes to close Streams");
            }
            // the image's java reads JDK_JAVA_OPTIONS (docs/deploy.md, "Image")
            final String javaOpts = c.getEnv().stream().filter(e -> e.getName().equals("JDK_JAVA_OPTIONS")).map(EnvVar::getValue)
                .filter(Objects::nonNull).findFirst().orElse("");
            if (!javaOpts.contains("-XX:MaxRAMPercentage=") || javaOpts.contains("-Xmx")) {
                out.add("JDK_JAVA_OPTIONS should size the heap with -XX:MaxRAMPercentage (and no -Xmx): " + javaOpts);
            }
            if (c.getResources() == null || c.getResources().getLimits() == null || !c.getResources().getLimits().containsKey("memory")) {
                out.add("no memory limit: MaxRAMPercentage would take a share of the node's memory");
            }
            final var psc = sts.getSpec().getTemplate().getSpec().getSecurityContext();
            if (psc == null || !Boolean.TRUE.equals(psc.getRunAsNonRoot())) {
                out.add("pod securityContext must set runAsNonRoot: true");
            }
            // Kafka: the Strimzi cluster the topics and users belong to is the one the pod talks to
            if (cluster != null) {
                final String bootstrap = config.get("bootstrap.servers", "");
                if (!bootstrap.startsWith(cluster + "-kafka-bootstrap")) {
                    out.add("bootstrap.servers " + bootstrap + " is not Strimzi cluster " + cluster + "'s bootstrap service");
                }
            }
        }

        private void probePort(final String which, final Container c, final IntOrString port, final int metricsPort) {
            final Integer resolved = port == null ? null : port(c, port);
            if (resolved == null || resolved != metricsPort) {
                out.add(which + " probe port " + (port == null ? null : port.getValue()) + " resolves to " + resolved
                    + ", not mailflow.metrics.port " + metricsPort);
            }
        }

        private void secret(final String name, final String where, final String cluster) {
            if (named(Secret.class, name).isPresent() || USER_PROVIDED_SECRETS.contains(name)) {
                return;
            }
            if (cluster != null && name.equals(cluster + "-cluster-ca-cert")) {
                return; // Strimzi's Cluster Operator makes it for the cluster
            }
            final Optional<KafkaUser> user = named(KafkaUser.class, name);
            if (user.isPresent()) {
                return; // Strimzi's User Operator makes it for the KafkaUser
            }
            out.add(where + ": Secret " + name + " is neither in the manifests, nor made by Strimzi for them, nor a documented user-provided one");
        }

        /** The cluster all Strimzi resources name; null (and a problem) when they disagree. */
        private String strimziCluster() {
            final Set<String> clusters = new TreeSet<>();
            final List<HasMetadata> strimzi = new ArrayList<>(all(KafkaTopic.class));
            strimzi.addAll(all(KafkaUser.class));
            for (final HasMetadata r : strimzi) {
                final String label = r.getMetadata().getLabels() == null ? null : r.getMetadata().getLabels().get("strimzi.io/cluster");
                if (label == null) {
                    out.add(r.getKind() + " " + name(r) + " has no strimzi.io/cluster label");
                } else {
                    clusters.add(label);
                }
            }
            final Set<String> namespaces = new TreeSet<>();
            strimzi.forEach(r -> namespaces.add(String.valueOf(r.getMetadata().getNamespace())));
            if (namespaces.size() > 1) {
                out.add("Strimzi resources are in different namespaces " + namespaces);
            }
            if (clusters.size() > 1) {
                out.add("strimzi.io/cluster labels disagree: " + clusters);
                return null;
            }
            return clusters.isEmpty() ? null : clusters.iterator().next();
        }

        /** The topics mailflow uses: TopicAdmin's (the shippers' positions and raw lines included). */
        private List<TopicSpec> expectedTopics(final MailflowConfig config) {
            return TopicAdmin.specs(config);
        }

        private void topics(final MailflowConfig config) {
            final Map<String, KafkaTopic> byName = new LinkedHashMap<>();
            for (final KafkaTopic t : all(KafkaTopic.class)) {
                final String topicName = t.getSpec().getTopicName() != null ? t.getSpec().getTopicName() : t.getMetadata().getName();
                if (byName.put(topicName, t) != null) {
                    out.add("two KafkaTopics for " + topicName);
                }
            }
            final int rf = config.getInt("mailflow.topic.replication-factor", -1);
            final String internalRf = config.get("replication.factor");
            final String internalIsr = config.get("topic.min.insync.replicas");
            final Set<String> expectedNames = new TreeSet<>();
            for (final TopicSpec spec : expectedTopics(config)) {
                expectedNames.add(spec.name());
                final KafkaTopic t = byName.get(spec.name());
                if (t == null) {
                    out.add("topic " + spec.name() + " has no KafkaTopic");
                    continue;
                }
                final String where = "KafkaTopic " + name(t) + " (" + spec.name() + ")";
                if (!Objects.equals(t.getSpec().getPartitions(), spec.partitions())) {
                    out.add(where + ": partitions " + t.getSpec().getPartitions() + ", mailflow creates it with " + spec.partitions());
                }
                final Integer replicas = t.getSpec().getReplicas();
                if (replicas == null || replicas < 3) {
                    out.add(where + ": replicas " + replicas + ", should be 3 (min.insync.replicas 2 with acks=all)");
                }
                if (rf > 0 && !Objects.equals(replicas, rf)) {
                    out.add(where + ": replicas " + replicas + " but mailflow.topic.replication-factor=" + rf);
                }
                final Map<String, Object> cfg = Objects.requireNonNullElse(t.getSpec().getConfig(), Map.of());
                spec.configs().forEach((k, v) -> {
                    if (!v.equals(String.valueOf(cfg.get(k)))) {
                        out.add(where + ": " + k + " = " + cfg.get(k) + ", mailflow creates it with " + v);
                    }
                });
                final Object isr = cfg.get("min.insync.replicas");
                if (!"2".equals(String.valueOf(isr))) {
                    out.add(where + ": min.insync.replicas " + isr + ", should be 2");
                }
                if (internalRf != null && replicas != null && !internalRf.equals(String.valueOf(replicas))) {
                    out.add(where + ": replicas " + replicas + " but Kafka Streams creates its internal topics with replication.factor=" + internalRf);
                }
                if (internalIsr != null && !internalIsr.equals(String.valueOf(isr))) {
                    out.add(where + ": min.insync.replicas " + isr + " but internal topics get topic.min.insync.replicas=" + internalIsr);
                }
            }
            for (final String name : byName.keySet()) {
                if (!expectedNames.contains(name)) {
                    out.add("KafkaTopic for " + name + ", a topic mailflow does not use");
                }
                if (name.startsWith(config.require("application.id") + "-")) {
                    out.add("KafkaTopic " + name + " is named like an internal topic: those are Kafka Streams' to create");
                }
            }
        }

        private void users(final StatefulSet sts, final Container c, final MailflowConfig config) {
            // the analyzer's user: the KafkaUser whose Secret gives the pod its sasl.jaas.config
            final String jaasSecret = c.getEnv().stream()
                .filter(e -> "sasl.jaas.config".equals(MailflowConfig.keyForEnv(e.getName())))
                .filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                .map(e -> e.getValueFrom().getSecretKeyRef().getName()).findFirst().orElse(null);
            final Optional<KafkaUser> analyzer = jaasSecret == null ? Optional.empty() : named(KafkaUser.class, jaasSecret);
            if (analyzer.isEmpty()) {
                out.add("the pod's sasl.jaas.config does not come from a KafkaUser's Secret (" + jaasSecret + ")");
                return;
            }
            final KafkaUser user = analyzer.get();
            if (!(user.getSpec().getAuthentication() instanceof KafkaUserScramSha512ClientAuthentication)
                || !"SCRAM-SHA-512".equals(config.get("sasl.mechanism"))) {
                out.add("KafkaUser " + name(user) + " and sasl.mechanism " + config.get("sasl.mechanism") + " should both be SCRAM-SHA-512");
            }
            final String appId = config.require("application.id");
            final String traces = config.require("mailflow.topic.traces");
            final String raw = config.get("mailflow.topic.raw-lines", "mailflow.raw-lines");
            final Set<String> outputs = new TreeSet<>();
            for (final String k : List.of("alerts", "ndr", "delays", "connector-stats", "dead-letters")) {
                outputs.add(config.require("mailflow.topic." + k));
            }
            for (final TopicSpec t : expectedTopics(config)) {
                require(user, "topic", t.name(), AclOperation.DESCRIBE);
            }
            for (final String in : List.of(traces, raw)) {
                require(user, "topic", in, AclOperation.READ);
            }
            // the raw-lines sub-topology writes what it parses to the traces topic
            require(user, "topic", traces, AclOperation.WRITE);
            for (final String o : outputs) {
                require(user, "topic", o, AclOperation.WRITE);
            }
            for (final AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE,
                AclOperation.DESCRIBECONFIGS, AclOperation.DELETE)) {
                require(user, "topic", appId + "-any-store-changelog", op);
            }
            require(user, "group", appId, AclOperation.READ);
            if (config.get("processing.guarantee", "").startsWith("exactly_once")) {
                require(user, "transactionalId", appId + "-" + "3f1e0e3c-1b8e-4c0a-9d55-2f6c1c5e7a10-1", AclOperation.WRITE);
                require(user, "transactionalId", appId + "-" + "3f1e0e3c-1b8e-4c0a-9d55-2f6c1c5e7a10-1", AclOperation.DESCRIBE);
            }
            // the shipper's user
            final Optional<KafkaUser> shipper = named(KafkaUser.class, SHIPPER_USER);
            if (shipper.isEmpty()) {
                out.add("no KafkaUser " + SHIPPER_USER + " for `mailflow ship`");
                return;
            }
            final String positions = config.get("mailflow.topic.ship-positions", "mailflow.ship-positions");
            for (final String t : List.of(traces, config.require("mailflow.topic.dead-letters"), positions)) {
                require(shipper.get(), "topic", t, AclOperation.WRITE);
                require(shipper.get(), "topic", t, AclOperation.DESCRIBE);
            }
            require(shipper.get(), "topic", positions, AclOperation.READ);
            require(shipper.get(), "transactionalId", SHIPPER_TRANSACTIONAL_PREFIX + "mx1", AclOperation.WRITE);
            require(shipper.get(), "transactionalId", SHIPPER_TRANSACTIONAL_PREFIX + "mx1", AclOperation.DESCRIBE);
        }

        private void require(final KafkaUser user, final String type, final String name, final AclOperation op) {
            if (!(user.getSpec().getAuthorization() instanceof KafkaUserAuthorizationSimple simple)) {
                out.add("KafkaUser " + name(user) + " has no simple authorization");
                return;
            }
            for (final AclRule rule : simple.getAcls()) {
                if (rule.getType() == AclRuleType.DENY) {
                    continue;
                }
                final List<AclOperation> ops = new ArrayList<>(Objects.requireNonNullElse(rule.getOperations(), List.of()));
                if (!ops.contains(op) && !ops.contains(AclOperation.ALL)) {
                    continue;
                }
                final String ruleName;
                final AclResourcePatternType pattern;
                if ("topic".equals(type) && rule.getResource() instanceof AclRuleTopicResource r) {
                    ruleName = r.getName();
                    pattern = r.getPatternType();
                } else if ("group".equals(type) && rule.getResource() instanceof AclRuleGroupResource r) {
                    ruleName = r.getName();
                    pattern = r.getPatternType();
                } else if ("transactionalId".equals(type) && rule.getResource() instanceof AclRuleTransactionalIdResource r) {
                    ruleName = r.getName();
                    pattern = r.getPatternType();
                } else {
                    continue;
                }
                if ("*".equals(ruleName) || (pattern == AclResourcePatternType.PREFIX ? name.startsWith(ruleName) : name.equals(ruleName))) {
                    return;
                }
            }
            out.add("KafkaUser " + name(user) + " may not " + op + " " + type + " " + name);
        }

        private Volume volume(final StatefulSet sts, final String name) {
            return Objects.requireNonNullElse(sts.getSpec().getTemplate().getSpec().getVolumes(), List.<Volume>of()).stream()
                .filter(v -> v.getName().equals(name)).findFirst().orElse(null);
        }

        /** A port number or a container port's name, as the container's port number; null when unknown. */
        private Integer port(final Container c, final IntOrString port) {
            if (port.getIntVal() != null) {
                return port.getIntVal();
            }
            return Objects.requireNonNullElse(c.getPorts(), List.<ContainerPort>of()).stream()
                .filter(p -> port.getStrVal().equals(p.getName())).map(ContainerPort::getContainerPort).findFirst().orElse(null);
        }
    }

    static boolean matches(final Map<String, String> selector, final Map<String, String> labels) {
        return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    static String name(final HasMetadata r) {
        return r.getMetadata().getName();
    }
}
