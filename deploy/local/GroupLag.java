import java.util.HashMap;
import java.util.HashSet;
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
 * How far an application's consumer group is behind, for the check scripts:
 * {@code java -cp "analyzer/target/lib/*" deploy/local/GroupLag.java BOOTSTRAP GROUP TOPIC}
 * prints the records of the group's input partitions (TOPIC's and its repartition topics') not
 * yet committed, measured against the read-committed end offsets as mailflow's embedded replay
 * does (CatchUp). 0 means every record was processed and its results are readable.
 */
public final class GroupLag {
    public static void main(final String[] args) throws Exception {
        final String group = args[1];
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", args[0]))) {
            final Set<String> topics = new HashSet<>(Set.of(args[2]));
            admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                .filter(t -> t.startsWith(group + "-") && t.endsWith("-repartition")).forEach(topics::add);
            final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).forEach((name, d) ->
                d.partitions().forEach(p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
            final Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            long lag = 0;
            for (final var e : admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .all().get(30, TimeUnit.SECONDS).entrySet()) {
                final OffsetAndMetadata c = committed.get(e.getKey());
                lag += Math.max(0, e.getValue().offset() - (c == null ? 0 : c.offset()));
            }
            System.out.println(lag);
        }
    }
}
