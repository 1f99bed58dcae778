package io.mailflow.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.classify.FailureClassifier;
import io.mailflow.classify.Remediation;
import io.mailflow.classify.ResponseText;
import io.mailflow.detect.ConnectorCatalog;
import io.mailflow.detect.ConnectorMonitor;
import io.mailflow.emit.Topics;
import io.mailflow.queue.QueueTracker;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The query API's answers, each assembled from the state of every instance through the
 * {@link StateRouter}: lists merged from all partitions, one message's recipients from the
 * partition its key lives in. Every method returns the response body or throws a
 * {@link QueryException} with the status and sentence to answer with.
 */
final class QueryApi {
    private static final Comparator<JsonNode> NEWEST_FIRST = Comparator
        .comparing((JsonNode a) -> Instant.parse(a.path("eventTime").asText("1970-01-01T00:00:00Z"))).reversed()
        .thenComparing(a -> a.path("alertId").asText());
    /** Windows of the chart when the request names no span. */
    static final int DEFAULT_HOURS = 6;

    private final StateRouter router;
    private final ConnectorCatalog catalog;
    private final int maxDestinations;
    private final TopicTail tail;
    private final Topics topics;

    QueryApi(final StateRouter router, final ConnectorCatalog catalog, final int maxDestinations, final TopicTail tail, final Topics topics) {
        this.router = router;
        this.catalog = catalog;
        this.maxDestinations = maxDestinations;
        this.tail = tail;
        this.topics = topics;
    }

    /** {@code GET /api/v1/connectors} */
    ObjectNode connectors() {
        final QueueState queues = queues();
        final Map<String, List<JsonNode>> alerts = new TreeMap<>();
        for (final JsonNode part : router.readAll(LocalState.Read.MONITOR, Map.of())) {
            part.path("connectorIds").forEach(id -> alerts.computeIfAbsent(id.asText(), k -> new ArrayList<>()));
            part.path("alerts").forEach(a -> alerts.computeIfAbsent(a.path("connectorId").asText(), k -> new ArrayList<>()).add(a));
        }
        final Set<String> ids = new TreeSet<>(queues.byConnector().keySet());
        ids.addAll(alerts.keySet());
        final ObjectNode out = QueryJson.object();
        out.put("asOf", QueryJson.time(queues.asOf()));
        final ArrayNode list = out.putArray("connectors");
        for (final String id : ids) {
            final MergedQueue q = queues.byConnector().getOrDefault(id, new MergedQueue(id, maxDestinations));
            final List<JsonNode> active = new ArrayList<>(alerts.getOrDefault(id, List.of()));
            active.sort(NEWEST_FIRST);
            final ObjectNode c = list.addObject();
            c.put("connectorId", id);
            c.put("status", status(active));
            c.put("queuedRecipients", q.queuedRecipients());
            c.put("queuedOverAge", q.queuedOverAge());
            c.put("oldestQueuedTime", QueryJson.time(q.oldestQueuedTime()));
            c.put("lastError", q.lastError());
            c.put("lastStatusCode", q.lastStatusCode());
            c.put("lastErrorTime", QueryJson.time(q.lastErrorTime()));
            final ArrayNode destinations = c.putArray("destinations");
            q.destinations().forEach(destinations::add);
            c.putArray("activeAlerts").addAll(active);
        }
        return out;
    }

    /** "failing" while a CONNECTOR_FAILURE alert fires, else "backlog" while a QUEUE_BACKLOG alert does, else "healthy". */
    static String status(final List<JsonNode> activeAlerts) {
        if (activeAlerts.stream().anyMatch(a -> "CONNECTOR_FAILURE".equals(a.path("type").asText()))) {
            return "failing";
        }
        if (activeAlerts.stream().anyMatch(a -> "QUEUE_BACKLOG".equals(a.path("type").asText()))) {
            return "backlog";
        }
        return "healthy";
    }

    /** {@code GET /api/v1/alerts?state=active|all} */
    ObjectNode alerts(final String state) {
        if (state != null && !state.equals("active") && !state.equals("all")) {
            throw new QueryException(400, "state must be active or all, not '" + state + "'.");
        }
        final Map<String, JsonNode> byId = new LinkedHashMap<>();
        for (final JsonNode part : router.readAll(LocalState.Read.MONITOR, Map.of())) {
            part.path("alerts").forEach(a -> byId.put(a.path("alertId").asText(), a));
        }
        if ("all".equals(state)) {
            // ended alerts are not kept in state: the latest record of each alert among the topic's recent ones
            final TopicTail.Tail<ConnectorAlert> recent = tail.last(topics.alerts, RECENT_ALERTS);
            final Map<String, JsonNode> latest = new LinkedHashMap<>();
            // one alert's records share its connector's partition, in order: the last one read is its latest
            recent.records().forEach(r -> latest.put(r.value().getAlertId(), QueryJson.avro(r.value())));
            // the state is the truth for what fires now; the topic adds what ended
            latest.forEach(byId::putIfAbsent);
        }
        final List<JsonNode> alerts = new ArrayList<>(byId.values());
        alerts.sort(NEWEST_FIRST);
        final ObjectNode out = QueryJson.object();
        out.putArray("alerts").addAll(alerts);
        return out;
    }

    /** Records of the alerts topic {@code state=all} looks at for alerts that ended. */
    static final int RECENT_ALERTS = 1000;

    /** {@code GET /api/v1/connectors/{id}/queue} */
    ObjectNode queue(final String connectorId) {
        final QueueState queues = queues();
        final int monitorPartition = router.partitionOf(ConnectorMonitor.BACKLOG_STORE, connectorId);
        final List<JsonNode> monitor = router.read(LocalState.Read.MONITOR, Map.of("connector", connectorId), Set.of(monitorPartition));
        final boolean known = queues.byConnector().containsKey(connectorId)
            || monitor.stream().anyMatch(m -> m.path("connectorIds").size() > 0);
        if (!known) {
            throw new QueryException(404, "No connector '" + connectorId + "' in the state: GET /api/v1/connectors lists those known.");
        }
        final MergedQueue q = queues.byConnector().getOrDefault(connectorId, new MergedQueue(connectorId, maxDestinations));
        final long asOf = queues.asOf() == null ? 0 : queues.asOf();
        final AgeBuckets buckets = new AgeBuckets();
        final List<JsonNode> samples = new ArrayList<>();
        final Map<String, Long> destinations = new TreeMap<>();
        for (final JsonNode part : router.readAll(LocalState.Read.QUEUE_AGES, Map.of("connector", connectorId, "asOf", Long.toString(asOf)))) {
            final long[] counts = new long[AgeBuckets.BOUNDS.length + 1];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = part.path("ages").path(i).asLong();
            }
            buckets.addAll(counts);
            part.path("samples").forEach(samples::add);
            part.path("destinations").fields().forEachRemaining(e -> destinations.merge(e.getKey(), e.getValue().asLong(), Long::sum));
        }
        samples.sort(Comparator.comparing((JsonNode r) -> Instant.parse(r.path("queuedSince").asText()))
            .thenComparing(r -> r.path("recipient").asText()).thenComparing(r -> r.path("messageId").asText("")));
        final ObjectNode out = QueryJson.object();
        out.put("connectorId", connectorId);
        out.put("asOf", QueryJson.time(queues.asOf()));
        out.put("queuedRecipients", q.queuedRecipients());
        out.put("queuedOverAge", q.queuedOverAge());
        out.put("oldestQueuedTime", QueryJson.time(q.oldestQueuedTime()));
        out.set("ageBuckets", buckets.toJson());
        final ArrayNode byDestination = out.putArray("destinations");
        destinations.entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
            .forEach(e -> byDestination.addObject().put("destination", e.getKey()).put("recipients", e.getValue()));
        out.put("lastError", q.lastError());
        out.put("lastStatusCode", q.lastStatusCode());
        out.put("lastErrorTime", QueryJson.time(q.lastErrorTime()));
        out.put("lastAttemptTime", QueryJson.time(q.lastAttemptTime()));
        out.putNull("nextRetryTime"); // the traces do not say when the MTA retries next
        out.put("remediation", remediation(connectorId, q.lastStatusCode(), q.lastError()));
        out.putArray("samples").addAll(samples.subList(0, Math.min(LocalState.SAMPLES, samples.size())));
        return out;
    }

    /** What to do about the connector's last error, for its kind (the alerts' text); null when it has no error. */
    String remediation(final String connectorId, final String statusCode, final String lastError) {
        if (statusCode == null && lastError == null) {
            return null;
        }
        FailureCategory category = statusCode == null ? null : FailureClassifier.categoryOf(statusCode);
        if (category == null || category == FailureCategory.OTHER_TRANSIENT) {
            final FailureCategory byText = ResponseText.parse(lastError).category();
            if (byText != null) {
                category = byText;
            }
        }
        if (category == null) {
            category = statusCode != null && statusCode.startsWith("5") ? FailureCategory.PERMANENT : FailureCategory.OTHER_TRANSIENT;
        }
        return Remediation.of(category, catalog.lookup(connectorId));
    }

    /** Statistics records read back for closed windows: hours of windows of tens of connectors. */
    static final int CLOSED_WINDOWS = 5_000;

    /** {@code GET /api/v1/connectors/{id}/windows?hours=N}: open windows from state, closed ones from the topic. */
    ObjectNode windows(final String connectorId, final int hours) {
        if (hours < 1) {
            throw new QueryException(400, "hours must be a positive whole number.");
        }
        // a window's counts now: the closer's sum so far plus what traces partitions have not sent on yet
        final Map<String, ObjectNode> byWindow = new TreeMap<>();
        final List<JsonNode> parts = new ArrayList<>(router.readAll(LocalState.Read.WINDOWS, Map.of("connector", connectorId)));
        parts.addAll(router.readAll(LocalState.Read.WINDOW_PARTIALS, Map.of("connector", connectorId)));
        for (final JsonNode part : parts) {
            for (final JsonNode w : part.path("windows")) {
                final String key = w.path("windowStart").asText() + '|' + w.path("statusCode").asText("");
                final ObjectNode sum = byWindow.computeIfAbsent(key, k -> QueryJson.object()
                    .put("windowStart", w.path("windowStart").asText()).put("windowEnd", w.path("windowEnd").asText())
                    .put("statusCode", w.path("statusCode").isNull() ? null : w.path("statusCode").asText())
                    .putNull("category").put("failures", 0L).put("deliveries", 0L).put("distinctMessages", 0L));
                if (sum.path("category").isNull() && !w.path("category").isNull()) {
                    sum.set("category", w.get("category"));
                }
                for (final String count : List.of("failures", "deliveries", "distinctMessages")) {
                    sum.put(count, sum.path(count).asLong() + w.path(count).asLong());
                }
            }
        }
        // closed windows are no longer in state: their one record each in the statistics topic's tail
        for (final ConsumerRecord<String, ConnectorStats> r : tail.last(topics.connectorStats, CLOSED_WINDOWS).records()) {
            final ConnectorStats w = r.value();
            if (w == null || !connectorId.equals(w.getConnectorId())) {
                continue;
            }
            final String key = w.getWindowStart().toString() + '|' + (w.getStatusCode() == null ? "" : w.getStatusCode());
            byWindow.putIfAbsent(key, QueryJson.object()
                .put("windowStart", w.getWindowStart().toString()).put("windowEnd", w.getWindowEnd().toString())
                .put("statusCode", w.getStatusCode())
                .put("category", w.getCategory() == null ? null : w.getCategory().name())
                .put("failures", w.getFailures()).put("deliveries", w.getDeliveries()).put("distinctMessages", w.getDistinctMessages()));
        }
        final List<JsonNode> windows = new ArrayList<>(byWindow.values());
        final Function<JsonNode, Instant> start = w -> Instant.parse(w.path("windowStart").asText());
        final Instant latestEnd = windows.stream().map(w -> Instant.parse(w.path("windowEnd").asText())).max(Comparator.naturalOrder())
            .orElse(Instant.EPOCH);
        final Instant from = latestEnd.minusSeconds(hours * 3600L);
        windows.sort(Comparator.comparing(start).thenComparing(w -> w.path("statusCode").asText("")));
        final ObjectNode out = QueryJson.object();
        out.put("connectorId", connectorId);
        final ArrayNode list = out.putArray("windows");
        for (final JsonNode w : windows) {
            if (Instant.parse(w.path("windowEnd").asText()).isAfter(from)) {
                final ObjectNode v = list.addObject();
                for (final String field : List.of("windowStart", "windowEnd", "statusCode", "category", "failures", "deliveries",
                    "distinctMessages")) {
                    v.set(field, w.get(field));
                }
            }
        }
        return out;
    }

    /**
     * {@code GET /api/v1/messages/{id}}: first as the traces' message key (network message id,
     * else Message-ID), asked of the partition that key lives in; else every partition is searched
     * for a recipient with that Message-ID or network message id.
     */
    ObjectNode message(final String messageId) {
        final int partition = router.partitionOf(QueueTracker.RECIPIENTS_STORE, messageId);
        List<JsonNode> recipients = recipientsOf(router.read(LocalState.Read.RECIPIENTS, Map.of("key", messageId), Set.of(partition)));
        if (recipients.isEmpty()) {
            recipients = recipientsOf(router.readAll(LocalState.Read.RECIPIENTS, Map.of("messageId", messageId)));
        }
        final ObjectNode out = QueryJson.object();
        out.put("messageId", messageId);
        out.put("found", !recipients.isEmpty());
        out.putArray("recipients").addAll(recipients);
        return out;
    }

    /** {@code GET /api/v1/recipients/{address}} */
    ObjectNode recipient(final String address) {
        final List<JsonNode> recipients = recipientsOf(router.readAll(LocalState.Read.RECIPIENTS, Map.of("address", address)));
        final ObjectNode out = QueryJson.object();
        out.put("address", address);
        out.putArray("recipients").addAll(recipients);
        return out;
    }

    private static List<JsonNode> recipientsOf(final List<JsonNode> parts) {
        final List<JsonNode> out = new ArrayList<>();
        parts.forEach(p -> p.path("recipients").forEach(out::add));
        out.sort(Comparator.comparing((JsonNode r) -> Instant.parse(r.path("queuedSince").asText()))
            .thenComparing(r -> r.path("recipient").asText()).thenComparing(r -> r.path("messageId").asText("")));
        return out;
    }

    /** {@code GET /api/v1/notices?limit=N}: NDRs and delay notices among the last N*100 of each topic, by status code. */
    ObjectNode notices(final int limit) {
        if (limit < 1 || limit > 1000) {
            throw new QueryException(400, "limit must be a whole number from 1 to 1000.");
        }
        final ObjectNode out = QueryJson.object();
        final TopicTail.Tail<NonDeliveryReport> ndr = tail.last(topics.ndr, limit * 100);
        final TopicTail.Tail<DelayNotice> delays = tail.last(topics.delays, limit * 100);
        out.set("ndr", byStatus(ndr.records(), NonDeliveryReport::getStatus));
        out.set("delays", byStatus(delays.records(), DelayNotice::getStatus));
        out.put("recordsRead", ndr.records().size() + delays.records().size());
        out.put("unreadableRecords", ndr.unreadable() + delays.unreadable());
        return out;
    }

    private static <V extends IndexedRecord> ArrayNode byStatus(final List<ConsumerRecord<String, V>> records, final Function<V, String> status) {
        final Map<String, List<V>> groups = new HashMap<>();
        // newest first, so the samples are the latest of each code
        for (int i = records.size() - 1; i >= 0; i--) {
            final V v = records.get(i).value();
            groups.computeIfAbsent(String.valueOf(status.apply(v)), k -> new ArrayList<>()).add(v);
        }
        final ArrayNode out = QueryJson.array();
        groups.entrySet().stream()
            .sorted(Map.Entry.<String, List<V>>comparingByValue(Comparator.comparingInt(List::size)).reversed()
                .thenComparing(Map.Entry.comparingByKey()))
            .forEach(e -> {
                final ObjectNode g = out.addObject();
                g.put("statusCode", e.getKey());
                g.put("count", e.getValue().size());
                final ArrayNode samples = g.putArray("samples");
                e.getValue().stream().limit(3).forEach(v -> samples.add(QueryJson.avro(v)));
            });
        return out;
    }

    /** Every connector's queue from queue-connectors, merged, and the state's event time. */
    private QueueState queues() {
        final Map<String, MergedQueue> byConnector = new TreeMap<>();
        Long asOf = null;
        for (final JsonNode part : router.readAll(LocalState.Read.QUEUES, Map.of())) {
            if (part.hasNonNull("asOf")) {
                asOf = asOf == null ? part.get("asOf").asLong() : Math.max(asOf, part.get("asOf").asLong());
            }
            for (final JsonNode q : part.path("queues")) {
                byConnector.computeIfAbsent(q.path("connectorId").asText(), id -> new MergedQueue(id, maxDestinations)).add(q);
            }
        }
        return new QueueState(byConnector, asOf);
    }

    private record QueueState(Map<String, MergedQueue> byConnector, Long asOf) {
    }
}
