package io.mailflow.queue;

import io.mailflow.config.QueueConfig;
import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.emit.Topics;
import io.mailflow.serde.MockSchemaRegistry;
import java.util.Properties;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.MessageArrival;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.app.MailflowTopology;
import io.mailflow.classify.ClassifiedTrace;
import io.mailflow.avro.internal.QueuedRecipient;
import java.util.List;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * Queue tracking alone as an exactly-once Kafka Streams application, in its own JVM so that
 * {@link QueueExactlyOnceIT} can kill it hard (SIGKILL: no close, no flush, no commit).
 *
 * <p>Arguments: bootstrap servers, application id, state directory, NDR topic, delay topic, and
 * optionally the commit interval in ms and a pause in ms per input record.
 * The registry is an in-memory mock:// one, seeded with the contract schemas in a fixed order
 * ({@link #seedRegistry}) so every JVM of the test agrees on schema ids.
 */
public final class QueueEosApp {
    static final String TRACES = "eos.traces";
    static final String SCOPE = "queue-eos-it";

    private QueueEosApp() {
    }

    static MailflowConfig config(final String bootstrap, final String appId, final String ndrTopic, final String delayTopic) {
        return MailflowConfig.builder().defaults()
            .override("bootstrap.servers", bootstrap)
            .override("application.id", appId)
            .override("schema.registry.url", "mock://" + SCOPE)
            .override("mailflow.topic.traces", TRACES)
            .override("mailflow.topic.ndr", ndrTopic)
            .override("mailflow.topic.delays", delayTopic)
            // event times are synthetic, far from the wall clock: judge on event time only
            .override(QueueConfig.WALL_CLOCK_SAFETY_NET, "false")
            .build();
    }

    /**
     * Every record type the app writes, to topics and to changelogs. A mock:// registry lives in
     * one JVM: a restarted app must find the ids the killed one wrote into its changelogs, so every
     * JVM of the test registers all of them, in this order, before anything else.
     */
    private static final List<Class<? extends SpecificRecord>> WRITTEN_TYPES = List.of(
        MessageTrace.class, NonDeliveryReport.class, DelayNotice.class,
        QueuedRecipient.class, MessageArrival.class, ConnectorQueueSnapshot.class, ConnectorSignal.class);

    /** Registers the schemas in one order, so ids are the same in every JVM of the test. */
    static void seedRegistry() {
        final MockSchemaRegistry registry = MockSchemaRegistry.forScope(SCOPE);
        for (final Class<? extends SpecificRecord> type : WRITTEN_TYPES) {
            registry.register("seed-" + type.getSimpleName(), SpecificData.get().getSchema(type));
        }
    }

    private static void pause(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void main(final String[] args) throws InterruptedException {
        final String bootstrap = args[0];
        final String appId = args[1];
        final String stateDir = args[2];
        seedRegistry();
        final MailflowConfig config = config(bootstrap, appId, args[3], args[4]);
        final Topics topics = new Topics(config);
        final StreamsBuilder builder = new StreamsBuilder();
        KStream<String, MessageTrace> traces = builder.stream(TRACES, topics.traces.consumed("traces-source"));
        if (args.length > 6) {
            // a paced run spans many transactions, so the test can kill it while one is open
            final long pauseMs = Long.parseLong(args[6]);
            traces = traces.peek((key, trace) -> pause(pauseMs), Named.as("test-pace"));
        }
        MailflowTopology.track(traces.mapValues(ClassifiedTrace::of, Named.as("classify")), topics, QueueConfig.from(config), "snapshot-sink")
            .to(appId + ".snapshots", org.apache.kafka.streams.kstream.Produced
                .with(org.apache.kafka.common.serialization.Serdes.String(),
                    topics.avro(ConnectorSignal.class)).withName("snapshot-sink"));

        final Properties props = new Properties();
        props.putAll(config.kafkaProperties());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        if (args.length > 5) {
            // long transactions, so the test can kill the app while one holds NDRs
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, args[5]);
        }
        // a killed member must leave the group quickly for the restarted one to take over
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "6000");
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), "1000");
        // the production runtime, with its policy for unexpected errors (replace the thread a few times)
        final io.mailflow.app.Analyzer analyzer = new io.mailflow.app.Analyzer(builder.build(props), props);
        analyzer.streams().setStateListener((now, before) -> System.out.println("state " + before + " -> " + now));
        Runtime.getRuntime().addShutdownHook(new Thread(analyzer::close));
        analyzer.start();
        analyzer.awaitStopped();
    }
}
