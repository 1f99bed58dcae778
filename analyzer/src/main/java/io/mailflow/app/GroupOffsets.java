package io.mailflow.app;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Where the analyzer's consumer group stands, as the broker tells it: the partitions it consumes
 * (the traces topic's and its repartition topics'), its committed offsets, and the read-committed
 * end offsets. Read committed, as the analyzer reads: under exactly-once a task's repartitioned
 * records and its offset commit become visible together, when its transaction commits, so a poll
 * sees both sides of each transaction or neither. The embedded replay's wait ({@link CatchUp})
 * and {@code mailflow lag} both poll through this class.
 */
final class GroupOffsets {
    private static final long TIMEOUT_SECONDS = 10;

    private final Admin admin;
    private final String group;
    private final String traces;

    /** @param group the application.id (the Streams app's consumer group and its internal topics' prefix) */
    GroupOffsets(final Admin admin, final String group, final String traces) {
        this.admin = admin;
        this.group = group;
        this.traces = traces;
    }

    /** The partitions the group consumes: the traces topic's and its repartition topics' (those that exist yet). */
    Set<TopicPartition> inputPartitions() throws Exception {
        final Set<TopicPartition> inputs = new HashSet<>(partitions(traces));
        final List<String> repartition = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).stream()
            .filter(name -> name.startsWith(group + "-") && name.endsWith("-repartition")).sorted().toList();
        if (!repartition.isEmpty()) {
            admin.describeTopics(repartition).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).forEach((name, description) ->
                description.partitions().forEach(p -> inputs.add(new TopicPartition(name, p.partition()))));
        }
        return inputs;
    }

    Set<TopicPartition> partitions(final String topic) throws Exception {
        final Set<TopicPartition> out = new HashSet<>();
        admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(topic).partitions()
            .forEach(p -> out.add(new TopicPartition(topic, p.partition())));
        return out;
    }

    /** The group's committed offsets (partitions it never committed are absent). */
    Map<TopicPartition, Long> committed() throws Exception {
        final Map<TopicPartition, OffsetAndMetadata> raw =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        final Map<TopicPartition, Long> committed = new HashMap<>();
        raw.forEach((tp, om) -> {
            if (om != null) {
                committed.put(tp, om.offset());
            }
        });
        return committed;
    }

    /** The read-committed end offset of each partition. */
    Map<TopicPartition, Long> endOffsets(final Set<TopicPartition> partitions) throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, OffsetSpec.latest()));
        final Map<TopicPartition, Long> out = new HashMap<>();
        admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    /** One poll: committed offsets, the input partitions' ends and {@code outputs}' ends. */
    CatchUp.Poll poll(final Set<TopicPartition> inputs, final Set<TopicPartition> outputs) throws Exception {
        final Map<TopicPartition, Long> committed = committed();
        final Set<TopicPartition> all = new HashSet<>(inputs);
        all.addAll(outputs);
        final Map<TopicPartition, Long> inputEnds = new HashMap<>();
        final Map<TopicPartition, Long> outputEnds = new HashMap<>();
        endOffsets(all).forEach((tp, end) -> (outputs.contains(tp) ? outputEnds : inputEnds).put(tp, end));
        return new CatchUp.Poll(committed, inputEnds, outputEnds);
    }
}
