package io.mailflow.app;

import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.avro.internal.FailureEpisode;
import io.mailflow.avro.internal.MessageArrival;
import io.mailflow.avro.internal.PostfixQueueEntry;
import io.mailflow.avro.internal.QueuedRecipient;
import io.mailflow.avro.internal.StatsPartial;
import io.mailflow.classify.ClassifiedTrace;
import io.mailflow.config.DetectionConfig;
import io.mailflow.config.MailflowConfig;
import io.mailflow.config.QueueConfig;
import io.mailflow.detect.ConnectorCatalog;
import io.mailflow.detect.ConnectorMonitor;
import io.mailflow.detect.HeartbeatBroadcast;
import io.mailflow.detect.StatsPreAggregator;
import io.mailflow.detect.StatsWindowCloser;
import io.mailflow.detect.TransientFailureRouter;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.RawLineParser;
import io.mailflow.ingest.ReplayRepeats;
import io.mailflow.queue.QueueTracker;
import io.mailflow.state.BatchChangelog;
import io.mailflow.state.HeapBudget;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The whole mailflow topology in one file: every source, processor (with the stores it declares),
 * internal topic and sink, in the order a trace meets them (docs/architecture.md draws it).
 *
 * <pre>
 * mailflow.traces ─ traces-source                          keyed by message: a message's events share a task
 *   └ replay-repeats [replay-positions]                    a replay run sent again is analysed once
 *     └ classify                                           every trace classified once, here
 *       ├ queue-tracker [queue-recipients, queue-deadlines, queue-arrivals, queue-arrivals-log, queue-outcomes,
 *       │                queue-outcomes-log, queue-connectors, queue-connector-ages]
 *       │   ├ NDRs ──────────── queue-ndr-sink ─────────── mailflow.ndr
 *       │   ├ delay notices ─── queue-delay-notice-sink ── mailflow.delays
 *       │   └ queue snapshots ┐
 *       ├ transient-failures ─┴ connector-signals-merge ── (connector-signals, by connector)
 *       └ stats-pre-aggregate [stats-partial-counts, stats-partial-messages-log]
 *           └ (stats-partials, by connector|code)
 * (stats-partials) ─ stats-window-close [stats-windows, stats-progress] ─ connector-stats-sink ─ mailflow.connector-stats
 * (connector-signals) ─ connector-monitor [connector-signals-pending-log, connector-progress, failure-episodes,
 *                         failure-episode-messages, backlog-queue] ─ connector-alerts-sink ─ mailflow.alerts
 * mailflow.raw-lines ─ raw-lines-source                    keyed by host: a host's lines in order in one task
 *   └ raw-lines-parse [raw-postfix-queue, raw-exchange-fields]
 *       ├ traces ─────────── raw-traces-sink ──────────── mailflow.traces (read by traces-source above)
 *       └ unreadable ─────── raw-dead-letters-sink ────── mailflow.dead-letters
 * </pre>
 *
 * The stages ({@link #ingest}, {@link #track}, {@link #detect}, {@link #rawLines}) are public so specifications can
 * drive part of the topology; {@link #build} is the only composition the application runs.
 */
public final class MailflowTopology {
    /** The queue tracker's snapshots and the failures meet here, on their way to connector-signals. */
    public static final String CONNECTOR_SIGNALS_MERGE = "connector-signals-merge";
    /** The connector stage's two repartition topics, by the names Kafka Streams prefixes with the application id. */
    static final String STATS_PARTIALS = "stats-partials";
    static final String CONNECTOR_SIGNALS = "connector-signals";

    /** The connector stage's repartition topics of application {@code applicationId}, as Kafka Streams names them. */
    static List<String> connectorStageTopics(final String applicationId) {
        return List.of(applicationId + "-" + CONNECTOR_SIGNALS + "-repartition", applicationId + "-" + STATS_PARTIALS + "-repartition");
    }

    private MailflowTopology() {
    }

    public static Topology build(final MailflowConfig config) {
        return build(config, new Topics(config));
    }

    /** Every value subject the topology writes, with its schema, to be registered before it starts. */
    public static Map<String, Schema> valueSubjects(final MailflowConfig config) {
        final Topics topics = new Topics(config);
        build(config, topics);
        return topics.valueSubjects(config.require(StreamsConfig.APPLICATION_ID_CONFIG));
    }

    private static Topology build(final MailflowConfig config, final Topics topics) {
        final Properties props = StreamsSettings.streamsProperties(config);
        final StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(props)));
        final KStream<String, ClassifiedTrace> classified = ingest(builder, topics);
        final KStream<String, ConnectorSignal> queueSignals = track(classified, topics, QueueConfig.from(config), CONNECTOR_SIGNALS_MERGE);
        detect(classified, queueSignals, topics, DetectionConfig.from(config), ConnectorCatalog.from(config));
        // added last, so the sub-topologies above keep their numbers (and their tasks' state directories)
        rawLines(builder, topics, ZoneId.of(config.get("mailflow.raw-lines.syslog-zone", "UTC")),
            config.getDuration("mailflow.raw-lines.queue-retention", Duration.ofDays(6)));
        return builder.build(props);
    }

    /** ingest → classify: traces as they arrive, a replay run's repeats dropped, each classified once. */
    public static KStream<String, ClassifiedTrace> ingest(final StreamsBuilder builder, final Topics topics) {
        return builder.stream(topics.traces.name(), topics.traces.consumed("traces-source"))
            .processValues(withStores(ReplayRepeats::new,
                    // a partition's replay position changes with every record: written to the
                    // changelog once per commit
                    CommitBufferedStore.of(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ReplayRepeats.STORE),
                        Serdes.String(), Serdes.String()))),
                Named.as("replay-repeats"))
            .mapValues(ClassifiedTrace::of, Named.as("classify"));
    }

    /**
     * track: every queued recipient to delivery, delay notice or expiry NDR; every bounce to an NDR.
     * NDRs and delay notices go to their topics; the returned stream is the tracker's connector
     * queue snapshots, which it sends to the child named {@code queueSignalsTo}.
     */
    public static KStream<String, ConnectorSignal> track(final KStream<String, ClassifiedTrace> classified, final Topics topics,
                                                         final QueueConfig config, final String queueSignalsTo) {
        final QueueTracker.Outputs outputs = new QueueTracker.Outputs("queue-ndr-sink", "queue-delay-notice-sink", queueSignalsTo);
        final Serde<MessageArrival> arrivalValues = topics.storeValues(QueueTracker.ARRIVALS_STORE, MessageArrival.class);
        // a recipient retried many times between two commits, and a connector's counts, reach the
        // changelog once per commit: the recipients and connectors as objects until the commit,
        // the two byte-keyed indexes through the record cache or an ordered commit buffer
        // one budget for the message memory of every task of this instance
        final HeapBudget messageMemoryHeap = new HeapBudget(config.messageMemoryMaxBytes(),
            "the queue's remembered arrivals and outcomes (" + QueueConfig.MESSAGE_MEMORY_MAX_BYTES + ")");
        final KStream<String, SpecificRecord> tracked = classified.process(withStores(() -> new QueueTracker(config, outputs, messageMemoryHeap),
                CommitBufferedStore.of(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(QueueTracker.RECIPIENTS_STORE),
                    Serdes.String(), topics.storeValues(QueueTracker.RECIPIENTS_STORE, QueuedRecipient.class))),
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(QueueTracker.DEADLINES_STORE), Serdes.Bytes(),
                    Serdes.ByteArray()).withCachingEnabled(),
                // arrivals and outcomes are held on the heap as far as the budget allows
                // (LoggedWindow), beyond it in these stores, which age out with their 12 h
                // segments (WindowSegments); an entry per trace, so their changelogs are batches
                // written once per commit (BatchChangelog), not a record per entry; all hold the
                // bytes their log's serdes write (serialized once for window and log)
                Stores.windowStoreBuilder(WindowSegments.pointStore(QueueTracker.ARRIVALS_STORE, config.arrivalRetention()),
                    Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled(),
                batchLog(QueueTracker.ARRIVALS_LOG_STORE, QueueTracker.ARRIVALS_STORE, arrivalValues, config.arrivalRetention()),
                Stores.windowStoreBuilder(WindowSegments.pointStore(QueueTracker.OUTCOMES_STORE, config.reorderTolerance()),
                    Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled(),
                batchLog(QueueTracker.OUTCOMES_LOG_STORE, QueueTracker.OUTCOMES_STORE, Serdes.ByteArray(), config.reorderTolerance()),
                CommitBufferedStore.of(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(QueueTracker.CONNECTORS_STORE),
                    Serdes.String(), topics.storeValues(QueueTracker.CONNECTORS_STORE, ConnectorQueueSnapshot.class))),
                // asked for each connector's first key at every snapshot: an ordered buffer merges
                // its few pending keys into the scan, where the record cache copied every cached
                // key of the connector (Kafka's NamedCache#keyRange) each time
                CommitBufferedStore.ordered(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(QueueTracker.CONNECTOR_AGES_STORE),
                    Serdes.Bytes(), Serdes.ByteArray()), Comparator.naturalOrder())),
            Named.as("queue-tracker"));
        // typed outputs: the tracker sends each kind to its own child by name
        QueueTrackerOutput.<String, io.mailflow.avro.NonDeliveryReport>of(tracked)
            .to(topics.ndr.name(), topics.ndr.produced(outputs.ndrs()));
        QueueTrackerOutput.<String, io.mailflow.avro.DelayNotice>of(tracked)
            .to(topics.delays.name(), topics.delays.produced(outputs.delayNotices()));
        return QueueTrackerOutput.of(tracked);
    }

    /**
     * detect: stats windows per connector and code, failure episodes and backlog alerts per
     * connector. Only partial counts, transient failures, queue snapshots and heartbeats cross the
     * network, never the traces; the connector-keyed stages judge in watermark order (the slowest
     * input partition's heartbeat), so the same input gives the same alerts on any partitioning.
     */
    public static void detect(final KStream<String, ClassifiedTrace> classified, final KStream<String, ConnectorSignal> queueSignals,
                              final Topics topics, final DetectionConfig config, final ConnectorCatalog catalog) {
        // stats: count per input partition, repartition only the partial counts, sum and emit on close
        classified
            .process(withStores(() -> new StatsPreAggregator(config, topics.traces.name()),
                    // a window's counts change with every trace: kept as objects until the commit,
                    // then serialized and written to the changelog once
                    CommitBufferedStore.of(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsPreAggregator.COUNTS_STORE),
                        Serdes.String(), topics.storeValues(StatsPreAggregator.COUNTS_STORE, StatsPartial.class))),
                    // the messages counted per window: one entry per message and window, on the
                    // heap (HeapWindow), logged in batches once per commit
                    batchLog(StatsPreAggregator.MESSAGES_LOG_STORE, StatsPreAggregator.MESSAGES_STORE, Serdes.String(),
                        StatsPreAggregator.messagesRetention(config))),
                Named.as("stats-pre-aggregate"))
            .repartition(Repartitioned.<String, StatsPartial>as(STATS_PARTIALS).withNumberOfPartitions(config.connectorPartitions())
                .withKeySerde(Serdes.String()).withValueSerde(topics.repartitionValues(STATS_PARTIALS, StatsPartial.class))
                .withStreamPartitioner(HeartbeatBroadcast.statsPartials()))
            .process(withStores(() -> new StatsWindowCloser(config),
                    Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsWindowCloser.STORE), Serdes.String(),
                        topics.storeValues(StatsWindowCloser.STORE, ConnectorStats.class)),
                    // each input partition's progress, read only when the task starts: cached
                    Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StatsWindowCloser.PROGRESS_STORE), Serdes.String(),
                        Serdes.Long()).withCachingEnabled()),
                Named.as("stats-window-close"))
            .to(topics.connectorStats.name(), topics.connectorStats.produced("connector-stats-sink"));

        // failures and queue snapshots of a connector travel in ONE topic, partitioned by
        // connector, to one processor that orders them on one timeline. Both connector-keyed
        // topics have the connector stage's own partition count (1 by default): every partition
        // is a task whose changelogs each transaction touches, and a few connectors' signals and
        // partial counts need no more (docs/benchmarks.md, "Twenty-first session")
        final KStream<String, ConnectorSignal> failureSignals = classified.process(
            () -> new TransientFailureRouter(config, topics.traces.name()), Named.as("transient-failures"));
        queueSignals
            .merge(failureSignals, Named.as(CONNECTOR_SIGNALS_MERGE))
            .repartition(Repartitioned.<String, ConnectorSignal>as(CONNECTOR_SIGNALS).withNumberOfPartitions(config.connectorPartitions())
                .withKeySerde(Serdes.String()).withValueSerde(topics.repartitionValues(CONNECTOR_SIGNALS, ConnectorSignal.class))
                .withStreamPartitioner(HeartbeatBroadcast.connectorSignals()))
            .process(withStores(() -> new ConnectorMonitor(config, catalog),
                    // failures and snapshots waiting for every input partition to pass them:
                    // bounded by what arrives within the slowest partition's lag plus grace; held
                    // on the heap, their changelog a batch per commit and the bound judged up to;
                    // the batches on disk, not a second copy of the items on the heap
                    BatchChangelog.untilReleased(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ConnectorMonitor.PENDING_STORE),
                        Serdes.Bytes(), Serdes.ByteArray()), ConnectorMonitor.PENDING_SUBJECT_STORE, Serdes.String(),
                        topics.storeValues(ConnectorMonitor.PENDING_SUBJECT_STORE, ConnectorSignal.class)),
                    Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ConnectorMonitor.PROGRESS_STORE), Serdes.String(),
                        Serdes.Long()).withCachingEnabled(),
                    // an episode changes with every failure of its connector and code (all of them,
                    // in an outage): kept as an object until the commit, written to the changelog once
                    CommitBufferedStore.of(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ConnectorMonitor.EPISODES_STORE),
                        Serdes.String(), topics.storeValues(ConnectorMonitor.EPISODES_STORE, FailureEpisode.class))),
                    Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ConnectorMonitor.EPISODE_MESSAGES_STORE), Serdes.String(),
                        Serdes.Long()),
                    Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ConnectorMonitor.BACKLOG_STORE), Serdes.String(),
                        topics.storeValues(ConnectorMonitor.BACKLOG_STORE, ConnectorQueue.class))),
                Named.as("connector-monitor"))
            .to(topics.alerts.name(), topics.alerts.produced("connector-alerts-sink"));
    }

    /**
     * raw lines → traces: log lines as shippers send them, parsed here by replay's parsers into
     * the traces topic, where {@link #ingest} reads them like any trace. A sub-topology of its own:
     * it shares no state with the analysis, and each host's lines stay in their partition in order
     * (the shippers key by host; the Postfix and Exchange context stores rely on it, so no repartition).
     */
    public static void rawLines(final StreamsBuilder builder, final Topics topics, final ZoneId syslogZone, final Duration queueRetention) {
        final RawLineParser.Outputs outputs = new RawLineParser.Outputs("raw-traces-sink", "raw-dead-letters-sink");
        final KStream<String, SpecificRecord> parsed = builder.stream(topics.rawLines.name(), topics.rawLines.consumed("raw-lines-source"))
            .process(withStores(() -> new RawLineParser(syslogZone, queueRetention, outputs),
                    // cached: a message's context changes with several lines between two commits
                    Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RawLineParser.POSTFIX_QUEUE_STORE), Serdes.String(),
                        topics.storeValues(RawLineParser.POSTFIX_QUEUE_STORE, PostfixQueueEntry.class)).withCachingEnabled(),
                    // the #Fields header text per host and file: written when a log starts or its service restarts
                    Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RawLineParser.EXCHANGE_FIELDS_STORE), Serdes.String(),
                        Serdes.String()).withCachingEnabled()),
                Named.as("raw-lines-parse"));
        // typed outputs: the parser sends traces and dead letters each to its own child by name
        QueueTrackerOutput.<String, io.mailflow.avro.MessageTrace>of(parsed)
            .to(topics.traces.name(), topics.traces.produced(outputs.traces()));
        QueueTrackerOutput.<String, io.mailflow.avro.DeadLetter>of(parsed)
            .to(topics.deadLetters.name(), topics.deadLetters.produced(outputs.deadLetters()));
    }

    /**
     * The changelog of window store {@code windowStore} (String keys, {@code values}, entries kept
     * {@code retention}): a logged store of batches written once per commit.
     */
    private static <V> StoreBuilder<KeyValueStore<Bytes, byte[]>> batchLog(final String name, final String windowStore,
                                                                          final Serde<V> values, final Duration retention) {
        return BatchChangelog.store(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray()),
            windowStore, Serdes.String(), values, retention);
    }

    /** A processor together with the stores it declares (Kafka Streams adds and connects them). */
    private static <KI, VI, KO, VO> ProcessorSupplier<KI, VI, KO, VO> withStores(final Supplier<Processor<KI, VI, KO, VO>> processor,
                                                                                 final StoreBuilder<?>... stores) {
        return new ProcessorSupplier<>() {
            @Override
            public Processor<KI, VI, KO, VO> get() {
                return processor.get();
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return new LinkedHashSet<>(List.of(stores)); // declaration order, so describe() is stable
            }
        };
    }

    private static <K, VI, VO> FixedKeyProcessorSupplier<K, VI, VO> withStores(final FixedKeyProcessorSupplierOf<K, VI, VO> processor,
                                                                               final StoreBuilder<?>... stores) {
        return new FixedKeyProcessorSupplier<>() {
            @Override
            public FixedKeyProcessor<K, VI, VO> get() {
                return processor.get();
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return new LinkedHashSet<>(List.of(stores)); // declaration order, so describe() is stable
            }
        };
    }

    @FunctionalInterface
    private interface FixedKeyProcessorSupplierOf<K, VI, VO> {
        FixedKeyProcessor<K, VI, VO> get();
    }

    /**
     * A processor's mixed output seen as one of its kinds: only that kind is forwarded to the
     * child attached to it (the queue tracker's and the raw-lines parser's outputs).
     */
    private static final class QueueTrackerOutput {
        @SuppressWarnings("unchecked")
        static <K, V> KStream<K, V> of(final KStream<K, ? extends SpecificRecord> tracked) {
            return (KStream<K, V>) tracked;
        }
    }
}
