package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.AvroJson;
import io.mailflow.serde.GenericAvroDeserializer;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mailflow consume}: a topic as JSON lines, like {@code kcat -C}. */
@Command(name = "consume", mixinStandardHelpOptions = true,
    description = {"Print a topic's records as JSON lines, like kcat.",
        "Field names are as in the Avro schema, timestamps ISO-8601 UTC.",
        "Values are decoded with the writer schema from the registry, so any Avro topic in the Confluent wire format works.",
        "Records without a value (the progress markers on the traces topic) are skipped."})
public final class ConsumeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic to read, e.g. mailflow.alerts.")
    String topic;

    @Option(names = {"-f", "--follow"}, description = "Keep reading new records until Ctrl-C (default: stop at the end).")
    boolean follow;

    @Option(names = {"-n", "--max"}, paramLabel = "N", description = "Stop after N records.")
    Long max;

    @Option(names = "--from-beginning", description = "Start at the earliest offset (default unless --follow).")
    boolean fromBeginning;

    @Option(names = {"-k", "--with-metadata"}, description = "Wrap each record: {topic, partition, offset, timestamp, key, value}.")
    boolean withMetadata;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        final MailflowConfig config = configOptions.resolve();
        KafkaReachability.require(config);
        final Map<String, Object> props = new HashMap<>(config.kafkaProperties());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        final GenericAvroDeserializer values = new GenericAvroDeserializer();
        values.configure(props, false);
        final PrintWriter out = spec.commandLine().getOut();
        long printed = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            final var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("Topic '" + topic + "' does not exist");
            }
            final List<TopicPartition> tps = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(tps);
            if (follow && !fromBeginning) {
                consumer.seekToEnd(tps);
            } else {
                consumer.seekToBeginning(tps);
            }
            final Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            while (true) {
                for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() == null) {
                        continue; // a progress marker (KafkaTraceSink), not a record to show
                    }
                    final String json = AvroJson.toJson(values.deserialize(r.topic(), r.value()));
                    if (withMetadata) {
                        out.printf("{\"topic\":\"%s\",\"partition\":%d,\"offset\":%d,\"timestamp\":\"%s\",\"key\":%s,\"value\":%s}%n",
                            r.topic(), r.partition(), r.offset(), java.time.Instant.ofEpochMilli(r.timestamp()),
                            r.key() == null ? "null" : quote(r.key()), json);
                    } else {
                        out.println(json);
                    }
                    printed++;
                    if (max != null && printed >= max) {
                        out.flush();
                        return ExitCodes.OK;
                    }
                }
                out.flush();
                if (!follow && tps.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                    return ExitCodes.OK;
                }
            }
        }
    }

    private static String quote(final String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
