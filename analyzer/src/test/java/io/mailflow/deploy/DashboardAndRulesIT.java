package io.mailflow.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.mailflow.app.EmbeddedRuntime;
import io.mailflow.app.Mailflow;
import io.mailflow.app.KafkaReplay;
import io.mailflow.config.MailflowConfig;
import io.mailflow.ingest.LogShipper;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.metrics.MetricsServer;
import io.mailflow.serde.RegistryAuth;
import io.mailflow.serde.RestSchemaRegistryClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard (deploy/grafana) and the Prometheus rules (deploy/prometheus) query only
 * what mailflow exports. A running analyzer on an embedded broker replays a generated 2-hour log
 * with an outage (plus one poison record, for the dead-letter counter) and its /metrics is
 * scraped; a registry client against a closed port adds the registry retry and failure counters;
 * a {@code mailflow ship} meter registry adds the shipper's metrics. Every metric name in every
 * PromQL expression of the dashboard and the rules must be one of those samples (or a recording
 * rule, or Prometheus' own {@code up}), and every label in a selector or a by/without/on clause
 * must exist on it. The rules are checked for structure (for, severity, summary, description, a
 * runbook_url whose anchor exists in docs/operating.md). The checker is shown to fail on copies
 * with a made-up metric, an unknown label and an alert without {@code for}.
 */
class DashboardAndRulesIT {
    private static final Path ROOT = Path.of(System.getProperty("mailflow.project.dir",
        Path.of("").toAbsolutePath().getParent().toString()));
    private static final Path DASHBOARD = ROOT.resolve("deploy/grafana/mailflow-dashboard.json");
    private static final Path RULES = ROOT.resolve("deploy/prometheus/mailflow-rules.yml");
    private static final Path OPERATING = ROOT.resolve("docs/operating.md");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Labels Prometheus adds to every scraped series (target labels). */
    private static final Set<String> TARGET_LABELS = Set.of("instance", "job");
    /** Series Prometheus makes itself for every target. */
    private static final Set<String> SYNTHETIC = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped");
    /**
     * Meters registered only when what they count first happens (a stream thread replaced, a record
     * later than the detection grace), which a short healthy run does not provoke: their name and
     * labels are checked against the source that registers them instead.
     */
    private static final Map<String, FaultOnly> FAULT_ONLY = Map.of(
        "mailflow_stream_thread_restarts_total",
        new FaultOnly("Metrics.counter(\"mailflow.stream.thread.restarts\", \"cause\"", Set.of("cause")),
        "mailflow_detect_late_records_total",
        new FaultOnly("Counter.builder(\"mailflow.detect.late.records\")", Set.of("stage")));

    private record FaultOnly(String source, Set<String> labels) {
    }
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
        "bool", "and", "or", "unless", "offset", "inf", "nan", "atan2");
    /** Aggregation operators: their by/without clause may come between the name and the '('. */
    private static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
        "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio");
    private static final Set<String> UNBOUNDED_LABELS = Set.of("message_id", "messageid", "recipient", "sender", "address",
        "queue_id", "subject", "client_ip", "ip", "host", "user");

    /** Sample name → label names seen on it. */
    private static final Map<String, Set<String>> SCRAPED = new TreeMap<>();
    /** Sample name → its # TYPE (for mailflow_* naming checks). */
    private static final Map<String, String> TYPES = new TreeMap<>();
    private static String scrapeText = "";

    @BeforeAll
    static void scrapeARunningAnalyzer(@TempDir final Path dir) throws Exception {
        final Path logs = dir.resolve("logs");
        assertEquals(0, Mailflow.execute("generate", "--seed", "7", "--duration", "2h",
            "--outage", "partner-contoso:4.4.316:30m@+30m", "--format", "exchange", "--out", logs.toString(), "--quiet"));
        final MailflowConfig base = MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://dashboard-it")
            .override("application.id", "dashboard-it")
            .build();
        // the Prometheus registry joins the global one before the analyzer binds its Streams metrics, as in `mailflow run`
        try (MetricsServer metrics = MetricsServer.start(0, () -> "RUNNING");
             EmbeddedRuntime runtime = EmbeddedRuntime.start(base)) {
            KafkaReplay.replay(runtime.config(), runtime.topics(), List.of(logs), ReplayOptions.defaults());
            poisonRecord(runtime);
            runtime.awaitComplete(Duration.ofSeconds(2), Duration.ofMinutes(3));
            registryFaults();
            scrapeText = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metrics.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        }
        final PrometheusMeterRegistry ship = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new LogShipper(null, new io.mailflow.emit.Topics(base), null, Map.of(), ship);
        scrapeText += ship.scrape();
        parseExposition(scrapeText);
        final Path out = Path.of("target", "dashboard-it-metrics.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, scrapeText);
    }

    /** A record on the traces topic that is no Avro: a dead letter, so mailflow_dead_letters_total exists. */
    private static void poisonRecord(final EmbeddedRuntime runtime) {
        final Map<String, Object> props = new java.util.HashMap<>(runtime.config().kafkaProperties());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            producer.send(new ProducerRecord<>(runtime.config().require("mailflow.topic.traces"),
                "poison".getBytes(StandardCharsets.UTF_8), "not avro".getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The registry client against a closed port: one retry and one failure counted (status "unreachable"). */
    private static void registryFaults() throws Exception {
        final int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        final RestSchemaRegistryClient client = new RestSchemaRegistryClient(List.of(URI.create("http://127.0.0.1:" + closed)),
            RegistryAuth.none(), Duration.ofMillis(200), Duration.ofMillis(200),
            new RestSchemaRegistryClient.Retries(1, Duration.ofMillis(10), Duration.ofMillis(10)));
        try {
            client.getCompatibility(null);
        } catch (final RuntimeException expected) {
            // the fault is the point
        }
    }

    private static void parseExposition(final String text) {
        final Pattern sample = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+\\S+.*$");
        final Pattern label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");
        for (final String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                final String[] parts = line.split(" ");
                TYPES.put(parts[2], parts[3]);
                continue;
            }
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            final Matcher m = sample.matcher(line);
            if (!m.matches()) {
                continue;
            }
            final Set<String> labels = SCRAPED.computeIfAbsent(m.group(1), k -> new TreeSet<>());
            if (m.group(3) != null) {
                final Matcher l = label.matcher(m.group(3));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
        }
    }

    @Test
    @DisplayName("the running analyzer's /metrics has the mailflow, Kafka Streams and ship metrics the dashboard needs")
    void scrapeHasTraffic() {
        for (final String name : List.of("mailflow_detect_failures_total", "mailflow_queue_recipients",
                "mailflow_queue_oldest_age_seconds", "mailflow_dead_letters_total", "mailflow_registry_retries_total",
                "mailflow_ship_lag_bytes")) {
            assertTrue(SCRAPED.containsKey(name), name + " in the scrape: " + SCRAPED.keySet());
        }
        assertTrue(Pattern.compile("(?m)^mailflow_detect_failures_total\\{category=\"CONNECTION_REFUSED\",connector=\"partner-contoso\"} [1-9]")
            .matcher(scrapeText).find(), "the outage's failures were counted");
    }

    @Test
    @DisplayName("every metric and label in the dashboard and the rules exists in a real /metrics")
    void dashboardAndRulesQueryOnlyExportedMetrics() throws Exception {
        final JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        final JsonNode rules = YAML.readTree(RULES.toFile());
        final List<String> problems = new ArrayList<>();
        problems.addAll(checkDashboard(dashboard, recorded(rules)));
        problems.addAll(checkRules(rules));
        assertEquals(List.of(), problems, "dashboard/rules problems (metrics scraped in target/dashboard-it-metrics.txt)");
    }

    @Test
    @DisplayName("the checker reports a made-up metric, an unknown label, a missing 'for' and a runbook anchor that does not exist")
    void checkerCatchesMistakes() throws Exception {
        final ObjectNode dashboard = (ObjectNode) JSON.readTree(DASHBOARD.toFile());
        final ObjectNode panel = ((ArrayNode) dashboard.get("panels")).addObject();
        panel.put("title", "made up").put("type", "timeseries");
        final ArrayNode targets = panel.putArray("targets");
        targets.addObject().put("expr", "sum by (connector) (rate(mailflow_made_up_total{instance=~\"$instance\"}[$__rate_interval]))");
        targets.addObject().put("expr", "sum by (recipient) (rate(mailflow_detect_failures_total[5m]))");
        final JsonNode rules = YAML.readTree(RULES.toFile());
        final List<String> dashboardProblems = checkDashboard(dashboard, recorded(rules));
        assertTrue(dashboardProblems.stream().anyMatch(p -> p.contains("mailflow_made_up_total")), dashboardProblems.toString());
        assertTrue(dashboardProblems.stream().anyMatch(p -> p.contains("label recipient")), dashboardProblems.toString());

        final ObjectNode brokenRules = (ObjectNode) rules.deepCopy();
        final ObjectNode alert = (ObjectNode) firstAlert(brokenRules);
        alert.remove("for");
        ((ObjectNode) alert.get("annotations")).put("runbook_url", "docs/operating.md#no-such-section");
        alert.put("expr", "mailflow_no_such_metric > 0");
        final List<String> ruleProblems = checkRules(brokenRules);
        assertTrue(ruleProblems.stream().anyMatch(p -> p.contains("no 'for'")), ruleProblems.toString());
        assertTrue(ruleProblems.stream().anyMatch(p -> p.contains("no-such-section")), ruleProblems.toString());
        assertTrue(ruleProblems.stream().anyMatch(p -> p.contains("mailflow_no_such_metric")), ruleProblems.toString());
    }

    @Test
    @DisplayName("mailflow_* metrics follow Prometheus naming: counters end in _total, units in names, no unbounded labels")
    void mailflowMetricsFollowNamingConventions() {
        final List<String> problems = new ArrayList<>();
        for (final Map.Entry<String, Set<String>> e : SCRAPED.entrySet()) {
            final String name = e.getKey();
            if (!name.startsWith("mailflow_")) {
                continue;
            }
            final String type = typeOf(name);
            if ("counter".equals(type) && !name.endsWith("_total")) {
                problems.add(name + ": a counter not ending in _total");
            }
            if ("gauge".equals(type) && name.endsWith("_total")) {
                problems.add(name + ": a gauge ending in _total");
            }
            if ((name.contains("_age") || name.contains("_time") || name.contains("duration")) && !name.endsWith("_seconds")) {
                problems.add(name + ": a time without _seconds");
            }
            if (name.contains("_lag") && !name.endsWith("_bytes") && !name.endsWith("_seconds") && !name.endsWith("_records")) {
                problems.add(name + ": a lag without its unit");
            }
            for (final String label : e.getValue()) {
                if (UNBOUNDED_LABELS.contains(label.toLowerCase(Locale.ROOT))) {
                    problems.add(name + ": unbounded label " + label);
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    // ---- the checks ----

    private static JsonNode firstAlert(final JsonNode rules) {
        for (final JsonNode group : rules.get("groups")) {
            for (final JsonNode rule : group.get("rules")) {
                if (rule.has("alert")) {
                    return rule;
                }
            }
        }
        throw new AssertionError("no alerting rule");
    }

    /** Recording rules: name → the labels its result keeps (its outer by clause, plus target labels). */
    private static Map<String, Set<String>> recorded(final JsonNode rules) {
        final Map<String, Set<String>> names = new TreeMap<>();
        for (final JsonNode group : rules.path("groups")) {
            for (final JsonNode rule : group.path("rules")) {
                if (rule.has("record")) {
                    final Set<String> labels = new TreeSet<>(TARGET_LABELS);
                    labels.addAll(Expression.parse(rule.path("expr").asText()).grouping);
                    rule.path("labels").fieldNames().forEachRemaining(labels::add);
                    names.put(rule.get("record").asText(), labels);
                }
            }
        }
        return names;
    }

    private static List<String> checkDashboard(final JsonNode dashboard, final Map<String, Set<String>> recorded) {
        final List<String> problems = new ArrayList<>();
        if (dashboard.path("schemaVersion").asInt() < 38) {
            problems.add("dashboard: schemaVersion " + dashboard.path("schemaVersion") + " < 38");
        }
        final Set<String> inputs = new TreeSet<>();
        dashboard.path("__inputs").forEach(i -> inputs.add(i.path("name").asText()));
        if (!inputs.contains("DS_PROMETHEUS")) {
            problems.add("dashboard: no DS_PROMETHEUS input");
        }
        final Set<String> variables = new TreeSet<>();
        for (final JsonNode variable : dashboard.path("templating").path("list")) {
            variables.add(variable.path("name").asText());
            final String query = variable.path("query").isObject() ? variable.path("query").path("query").asText()
                : variable.path("query").asText();
            if ("query".equals(variable.path("type").asText())) {
                final Matcher lv = Pattern.compile("label_values\\(\\s*(.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)").matcher(query);
                if (!lv.matches()) {
                    problems.add("variable " + variable.path("name").asText() + ": not label_values(selector, label): " + query);
                } else {
                    checkExpression("variable " + variable.path("name").asText(), lv.group(1), recorded, problems);
                    final Expression e = Expression.parse(lv.group(1));
                    for (final String metric : e.selectors.keySet()) {
                        checkLabel("variable " + variable.path("name").asText(), metric, lv.group(2), recorded, problems);
                    }
                }
            }
        }
        for (final String needed : List.of("datasource", "instance", "connector")) {
            if (!variables.contains(needed)) {
                problems.add("dashboard: no template variable " + needed);
            }
        }
        int expressions = 0;
        for (final JsonNode panel : allPanels(dashboard)) {
            for (final JsonNode target : panel.path("targets")) {
                final String expr = target.path("expr").asText("");
                if (!expr.isBlank()) {
                    expressions++;
                    checkExpression("panel '" + panel.path("title").asText() + "'", expr, recorded, problems);
                }
            }
        }
        if (expressions < 10) {
            problems.add("dashboard: only " + expressions + " expressions");
        }
        return problems;
    }

    private static List<JsonNode> allPanels(final JsonNode dashboard) {
        final List<JsonNode> panels = new ArrayList<>();
        for (final JsonNode panel : dashboard.path("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        }
        return panels;
    }

    private static List<String> checkRules(final JsonNode rules) throws Exception {
        final List<String> problems = new ArrayList<>();
        final Set<String> anchors = anchors(Files.readString(OPERATING));
        final Map<String, Set<String>> recorded = recorded(rules);
        if (!rules.path("groups").isArray() || rules.path("groups").isEmpty()) {
            return List.of("rules: no groups");
        }
        final Set<String> alerts = new LinkedHashSet<>();
        for (final JsonNode group : rules.get("groups")) {
            final String groupName = group.path("name").asText("");
            if (groupName.isEmpty()) {
                problems.add("rules: a group without a name");
            }
            if (!group.path("rules").isArray() || group.path("rules").isEmpty()) {
                problems.add("group " + groupName + ": no rules");
                continue;
            }
            for (final JsonNode rule : group.get("rules")) {
                final String name = rule.has("alert") ? "alert " + rule.get("alert").asText() : "record " + rule.path("record").asText("?");
                final String expr = rule.path("expr").asText("");
                if (expr.isBlank()) {
                    problems.add(name + ": no expr");
                    continue;
                }
                checkExpression(name, expr, recorded, problems);
                if (rule.has("record")) {
                    if (!rule.get("record").asText().matches("[a-zA-Z_]+:[a-zA-Z0-9_]+:[a-zA-Z0-9_]+")) {
                        problems.add(name + ": not level:metric:operations");
                    }
                    continue;
                }
                if (!rule.has("alert")) {
                    problems.add("group " + groupName + ": a rule that is neither record nor alert");
                    continue;
                }
                alerts.add(rule.get("alert").asText());
                if (!rule.path("for").asText("").matches("\\d+[smh]")) {
                    problems.add(name + ": no 'for' duration");
                }
                if (!Set.of("critical", "warning", "info").contains(rule.path("labels").path("severity").asText(""))) {
                    problems.add(name + ": labels.severity not critical/warning/info");
                }
                final JsonNode annotations = rule.path("annotations");
                for (final String key : List.of("summary", "description", "runbook_url")) {
                    if (annotations.path(key).asText("").isBlank()) {
                        problems.add(name + ": no annotations." + key);
                    }
                }
                final String runbook = annotations.path("runbook_url").asText("");
                final int hash = runbook.indexOf('#');
                if (!runbook.isEmpty() && (hash < 0 || !runbook.substring(0, hash).endsWith("docs/operating.md")
                        || !anchors.contains(runbook.substring(hash + 1)))) {
                    problems.add(name + ": runbook_url " + runbook + " is no section of docs/operating.md " + anchors);
                }
            }
        }
        for (final String needed : List.of("MailflowDown", "ConnectorFailing", "QueueBacklog", "DeadLettersIncreasing",
                "StreamsLagHigh", "ShipLagging", "ShipStalled")) {
            if (!alerts.contains(needed)) {
                problems.add("rules: no alert " + needed);
            }
        }
        return problems;
    }

    /** GitHub's heading anchors: lower case, punctuation but '-' dropped, spaces to '-'. */
    private static Set<String> anchors(final String markdown) {
        final Set<String> anchors = new TreeSet<>();
        for (final String line : markdown.split("\n")) {
            if (line.startsWith("#")) {
                anchors.add(line.replaceFirst("^#+\\s*", "").trim().toLowerCase(Locale.ROOT)
                    .replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
            }
        }
        return anchors;
    }

    private static void checkExpression(final String where, final String expr, final Map<String, Set<String>> recorded,
                                        final List<String> problems) {
        final Expression e;
        try {
            e = Expression.parse(expr);
        } catch (final IllegalArgumentException bad) {
            problems.add(where + ": " + bad.getMessage() + ": " + expr);
            return;
        }
        if (e.selectors.isEmpty()) {
            problems.add(where + ": no metric in " + expr);
        }
        final Set<String> available = new TreeSet<>(TARGET_LABELS);
        for (final Map.Entry<String, Set<String>> selector : e.selectors.entrySet()) {
            final String metric = selector.getKey();
            if (!known(metric, recorded)) {
                problems.add(where + ": metric " + metric + " is not exported (" + expr + ")");
                continue;
            }
            for (final String label : selector.getValue()) {
                checkLabel(where, metric, label, recorded, problems);
            }
            available.addAll(labelsOf(metric, recorded));
        }
        for (final String label : e.grouping) {
            if (!available.contains(label)) {
                problems.add(where + ": label " + label + " in by/on/without is on none of " + e.selectors.keySet() + " (" + expr + ")");
            }
        }
    }

    private static boolean known(final String metric, final Map<String, Set<String>> recorded) {
        return SCRAPED.containsKey(metric) || recorded.containsKey(metric) || SYNTHETIC.contains(metric)
            || FAULT_ONLY.containsKey(metric) && faultOnlyRegistered(metric);
    }

    private static boolean faultOnlyRegistered(final String metric) {
        try (var files = Files.walk(ROOT.resolve("analyzer/src/main/java"))) {
            return files.filter(p -> p.toString().endsWith(".java")).anyMatch(p -> {
                try {
                    return Files.readString(p).contains(FAULT_ONLY.get(metric).source());
                } catch (final java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Set<String> labelsOf(final String metric, final Map<String, Set<String>> recorded) {
        if (SCRAPED.containsKey(metric)) {
            return SCRAPED.get(metric);
        }
        if (recorded.containsKey(metric)) {
            return recorded.get(metric);
        }
        if (FAULT_ONLY.containsKey(metric)) {
            return FAULT_ONLY.get(metric).labels();
        }
        return Set.of();
    }

    private static void checkLabel(final String where, final String metric, final String label,
                                   final Map<String, Set<String>> recorded, final List<String> problems) {
        if (!TARGET_LABELS.contains(label) && !"__name__".equals(label) && !labelsOf(metric, recorded).contains(label)) {
            problems.add(where + ": label " + label + " is not on " + metric + " " + labelsOf(metric, recorded));
        }
    }

    private static String typeOf(final String sample) {
        if (TYPES.containsKey(sample)) {
            return TYPES.get(sample);
        }
        for (final String suffix : List.of("_total", "_created", "_count", "_sum", "_bucket", "_max")) {
            if (sample.endsWith(suffix) && TYPES.containsKey(sample.substring(0, sample.length() - suffix.length()))) {
                return TYPES.get(sample.substring(0, sample.length() - suffix.length()));
            }
        }
        return "unknown";
    }

    /**
     * The metric names and label names of a PromQL expression, by a small tokenizer: an identifier
     * followed by '(' is a function, an aggregation operator is never a metric; the parenthesised list after by, without, on,
     * ignoring, group_left and group_right holds label names; the names before =, !=, =~ and !~
     * inside braces are label matchers; strings, [ranges], numbers and Grafana $variables are
     * skipped; every other identifier is a metric name.
     */
    static final class Expression {
        final Map<String, Set<String>> selectors = new TreeMap<>();
        final Set<String> grouping = new TreeSet<>();

        static Expression parse(final String expr) {
            final Expression e = new Expression();
            final String s = expr;
            int i = 0;
            String lastMetric = null;
            while (i < s.length()) {
                final char c = s.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '"' || c == '\'' || c == '`') {
                    i = skipString(s, i);
                } else if (c == '[') {
                    final int end = s.indexOf(']', i);
                    if (end < 0) {
                        throw new IllegalArgumentException("unclosed [");
                    }
                    i = end + 1;
                } else if (c == '$') {
                    i++;
                    if (i < s.length() && s.charAt(i) == '{') {
                        i = s.indexOf('}', i) + 1;
                    } else {
                        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                            i++;
                        }
                    }
                } else if (c == '{') {
                    final int end = closing(s, i, '{', '}');
                    final Set<String> labels = matchers(s.substring(i + 1, end));
                    if (lastMetric == null) {
                        throw new IllegalArgumentException("a selector without a metric name");
                    }
                    e.selectors.get(lastMetric).addAll(labels);
                    lastMetric = null;
                    i = end + 1;
                } else if (Character.isDigit(c) || c == '.' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1))) {
                    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                        i++;
                    }
                    lastMetric = null;
                } else if (Character.isLetter(c) || c == '_' || c == ':') {
                    final int start = i;
                    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == ':')) {
                        i++;
                    }
                    final String word = s.substring(start, i);
                    int j = i;
                    while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
                        j++;
                    }
                    final char next = j < s.length() ? s.charAt(j) : ' ';
                    final String lower = word.toLowerCase(Locale.ROOT);
                    if (Set.of("by", "without", "on", "ignoring", "group_left", "group_right").contains(lower)) {
                        if (next == '(') {
                            final int end = closing(s, j, '(', ')');
                            for (final String label : s.substring(j + 1, end).split(",")) {
                                if (!label.isBlank()) {
                                    e.grouping.add(label.trim());
                                }
                            }
                            i = end + 1;
                        }
                        lastMetric = null;
                    } else if (KEYWORDS.contains(lower) || AGGREGATIONS.contains(lower)) {
                        lastMetric = null;
                    } else if (next == '(') {
                        lastMetric = null; // a function or an aggregation
                    } else {
                        e.selectors.computeIfAbsent(word, k -> new TreeSet<>());
                        lastMetric = word;
                    }
                } else {
                    lastMetric = null;
                    i++;
                }
            }
            return e;
        }

        private static int skipString(final String s, final int start) {
            final char quote = s.charAt(start);
            int i = start + 1;
            while (i < s.length() && s.charAt(i) != quote) {
                i += s.charAt(i) == '\\' ? 2 : 1;
            }
            if (i >= s.length()) {
                throw new IllegalArgumentException("unclosed string");
            }
            return i + 1;
        }

        private static int closing(final String s, final int open, final char o, final char c) {
            int depth = 0;
            for (int i = open; i < s.length(); i++) {
                final char ch = s.charAt(i);
                if (ch == '"' || ch == '\'' || ch == '`') {
                    i = skipString(s, i) - 1;
                } else if (ch == o) {
                    depth++;
                } else if (ch == c && --depth == 0) {
                    return i;
                }
            }
            throw new IllegalArgumentException("unclosed " + o);
        }

        private static Set<String> matchers(final String inside) {
            final Set<String> labels = new TreeSet<>();
            final Matcher m = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|`[^`]*`)")
                .matcher(inside);
            while (m.find()) {
                labels.add(m.group(1));
            }
            if (inside.replaceAll("[,\\s]", "").length() > 0 && labels.isEmpty()) {
                throw new IllegalArgumentException("unreadable label matchers {" + inside + "}");
            }
            return labels;
        }
    }
}
