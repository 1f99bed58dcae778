import java.io.File;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.record.internal.FileLogInputStream;
import org.apache.kafka.common.record.internal.FileRecords;

/**
 * Data records (transaction markers left out) per topic in a stopped broker's log directory:
 * {@code java -cp "analyzer/target/lib/*" deploy/local/CountRecords.java LOG_DIR [PREFIX]}.
 * End offsets would count a transaction marker per commit and partition too.
 */
public class CountRecords {
    public static void main(final String[] args) throws Exception {
        final String prefix = args.length > 1 ? args[1] : "";
        final Map<String, Long> byTopic = new TreeMap<>();
        final File[] dirs = new File(args[0]).listFiles(f -> f.isDirectory() && f.getName().startsWith(prefix)
            && f.getName().matches(".*-\\d+"));
        for (final File dir : dirs == null ? new File[0] : dirs) {
            final String topic = dir.getName().substring(0, dir.getName().lastIndexOf('-'));
            final File[] logs = dir.listFiles((d, n) -> n.endsWith(".log"));
            Arrays.sort(logs);
            long n = 0;
            for (final File log : logs) {
                try (FileRecords records = FileRecords.open(log)) {
                    for (final FileLogInputStream.FileChannelRecordBatch batch : records.batches()) {
                        final Integer count = batch.countOrNull(); // null only in pre-0.11 message formats
                        if (!batch.isControlBatch() && count != null) {
                            n += count;
                        }
                    }
                }
            }
            byTopic.merge(topic, n, Long::sum);
        }
        long total = 0;
        for (final Map.Entry<String, Long> e : byTopic.entrySet()) {
            System.out.printf("%,12d  %s%n", e.getValue(), e.getKey());
            total += e.getValue();
        }
        System.out.printf("%,12d  total%n", total);
    }
}
