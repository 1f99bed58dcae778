package io.mailflow.bench;

import io.mailflow.config.MailflowConfig;
import io.mailflow.app.Analyzer;
import io.mailflow.app.StreamsSettings;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * What a large queue costs: the full topology reads traffic in which every connector is down, so
 * about a million recipients are queued at once, and while it still holds that state we read
 * the live heap, the process's resident set and the state directory's size on disk.
 *
 * <p>Everything runs in one JVM (the embedded broker too, unless {@code --bootstrap-servers}), so
 * the absolute heap and RSS include the broker and the earlier sections; the growth over the
 * baseline taken just before the app starts is the part the queue state explains.
 */
final class StateFootprintBenchmark {
    private StateFootprintBenchmark() {
    }

    record Result(long queuedRecipients, long records, double seconds, long heapBefore, long heapAfter, long rssBefore,
                  long rssAfter, long stateDirBytes) {
    }

    static Result run(final BenchCluster cluster, final long seed, final long recipients) throws Exception {
        final MailflowConfig config = cluster.config("state");
        cluster.createTopics(config);
        final TracePreloader.Loaded loaded = TracePreloader.load(config, BenchTraffic.queued(seed, recipients));
        final Map<TopicPartition, Long> ends = cluster.endOffsets(config.get("mailflow.topic.traces"));
        final long heapBefore = ProcessMemory.liveHeapBytes();
        final long rssBefore = ProcessMemory.residentSetBytes();
        final long[] after = new long[3];
        final StreamsThroughputBenchmark.StreamsRun run = StreamsThroughputBenchmark.run(cluster, "state",
            () -> Analyzer.topologyFor(config), StreamsSettings.streamsProperties(config), ends, (streams, stateDir) -> {
                after[0] = ProcessMemory.liveHeapBytes();
                after[1] = ProcessMemory.residentSetBytes();
                after[2] = ProcessMemory.directoryBytes(stateDir);
            });
        return new Result(loaded.summary().recipients(), loaded.summary().records(), run.result().seconds(), heapBefore, after[0],
            rssBefore, after[1], after[2]);
    }
}
