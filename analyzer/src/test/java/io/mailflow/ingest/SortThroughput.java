package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.generate.ExchangeTrackingLogWriter;
import io.mailflow.generate.GeneratorSettings;
import io.mailflow.generate.TrafficGenerator;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sorting benchmark (not a test, issue 11): replays a generated Exchange Online extended report
 * through the {@link Replayer} into a sink that only counts, three ways: the rows in time order
 * streamed ({@code --no-sort}, the path before sorting existed), the same rows in time order
 * sorted, and the rows in random order sorted, with a small sort buffer so the sort spills runs.
 * It prints records/s, the time spent reading and sorting before the merge, runs and bytes
 * spilled, and GC time; the rounds alternate so machine noise and JIT warm-up hit all of them.
 * {@code heap} measures what a record held for sorting costs.
 *
 * <pre>
 * mvn -q -B -pl analyzer -am test-compile
 * mvn -q -B -pl analyzer dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * CP=analyzer/target/test-classes:analyzer/target/classes:schemas/target/classes:$(cat /tmp/cp.txt)
 * java -Xmx5g -cp $CP io.mailflow.ingest.SortThroughput generate /tmp/sort-bench 2000000   # ordered/ and shuffled/
 * java -Xmx1g -cp $CP io.mailflow.ingest.SortThroughput run /tmp/sort-bench 50000 3        # sort buffer, repeats
 * java -Xmx2g -cp $CP io.mailflow.ingest.SortThroughput heap /tmp/sort-bench 500000        # heap per record held for sorting
 * </pre>
 */
public final class SortThroughput {
    private SortThroughput() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: SortThroughput generate DIR [ROWS] | run DIR [SORT_BUFFER] [REPEATS] | heap DIR [RECORDS]");
            System.exit(2);
        }
        final Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "generate" -> generate(dir, args.length > 2 ? Integer.parseInt(args[2]) : 2_000_000);
            case "run" -> run(dir, args.length > 2 ? Integer.parseInt(args[2]) : 50_000, args.length > 3 ? Integer.parseInt(args[3]) : 3);
            case "heap" -> heap(dir, args.length > 2 ? Integer.parseInt(args[2]) : 500_000);
            default -> {
                System.err.println("unknown mode " + args[0]);
                System.exit(2);
            }
        }
    }

    /** One server's traffic as an extended report: rows in time order, and the same rows shuffled. */
    static void generate(final Path dir, final int rows) throws IOException {
        Files.createDirectories(dir.resolve("ordered"));
        Files.createDirectories(dir.resolve("shuffled"));
        final Path log = dir.resolve("generated.log");
        final long started = System.nanoTime();
        // the generator counts records; a row holds 1.9 records on average, so ask for enough and cut at `rows`
        final GeneratorSettings settings = GeneratorSettings.builder().seed(2026).duration(Duration.ofDays(30))
                .maxRecords(rows * 5L / 2).build();
        try (ExchangeTrackingLogWriter writer = new ExchangeTrackingLogWriter(server -> {
            try {
                return Files.newBufferedWriter(log, StandardCharsets.UTF_8);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        })) {
            new TrafficGenerator(settings).generate(writer);
        }
        final List<String> data = new ArrayList<>(rows);
        try (BufferedReader in = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
            String line;
            while (data.size() < rows && (line = in.readLine()) != null) {
                if (!line.startsWith("#")) {
                    data.add(line);
                }
            }
        }
        Files.delete(log);
        if (data.size() < rows) {
            throw new IllegalStateException("generated only " + data.size() + " rows");
        }
        write(dir.resolve("ordered/report.csv"), data);
        Collections.shuffle(data, new Random(11));
        write(dir.resolve("shuffled/report.csv"), data);
        System.out.printf(Locale.ROOT, "wrote %,d rows twice (%,d bytes each) in %.1f s%n", rows,
                Files.size(dir.resolve("ordered/report.csv")), (System.nanoTime() - started) / 1e9);
    }

    private static void write(final Path file, final List<String> rows) throws IOException {
        try (Writer out = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 16)) {
            out.write(ExportRows.EXTENDED_HEADER);
            out.write("\r\n");
            for (final String r : rows) {
                out.write(r);
                out.write("\r\n");
            }
        }
    }

    static void run(final Path dir, final int sortBuffer, final int repeats) throws Exception {
        final Path ordered = dir.resolve("ordered/report.csv");
        final Path shuffled = dir.resolve("shuffled/report.csv");
        System.out.printf(Locale.ROOT, "heap max %,d MB, sort buffer %,d records, %d cores, load %.2f%n",
                Runtime.getRuntime().maxMemory() >> 20, sortBuffer, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        final ReplayOptions base = ReplayOptions.defaults().withSortBuffer(sortBuffer).withSortDir(dir.resolve("runs"));
        // warm-up: the JIT compiles the parser, the sort and the Avro coders once
        round("warm-up (shuffled, sorted)", shuffled, base);
        for (int i = 1; i <= repeats; i++) {
            round("ordered, streamed (--no-sort) #" + i, ordered, base.withSortMode(SortOptions.Mode.NEVER));
            round("ordered, sorted #" + i, ordered, base);
            round("shuffled, sorted #" + i, shuffled, base);
        }
        round("shuffled, streamed (--no-sort): what the analyzer got before", shuffled, base.withSortMode(SortOptions.Mode.NEVER));
    }

    private static void round(final String name, final Path file, final ReplayOptions options) throws InterruptedException {
        System.gc();
        final long gcBefore = gcMillis();
        final long start = System.nanoTime();
        final ReplaySummary s = new Replayer().replay(List.of(file), options, new CountingSink());
        final double seconds = (System.nanoTime() - start) / 1e9;
        final ReplaySummary.Sorting sort = s.sorting();
        System.out.printf(Locale.ROOT, "%-62s %,10d records %7.2f s %,9.0f records/s  sort %6.2f s, %3d runs, %,6.0f MB spilled,"
                + " GC %5.2f s, out of order %,d%n", name, s.records(), seconds, s.records() / seconds,
                sort.elapsed().toNanos() / 1e9, sort.runsSpilled(), sort.bytesSpilled() / 1e6, (gcMillis() - gcBefore) / 1e3,
                s.outOfOrder());
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionTime).sum();
    }

    /** Heap taken by records held for sorting: N records of the ordered report read into a list. */
    static void heap(final Path dir, final int n) throws IOException {
        final Path file = dir.resolve("ordered/report.csv");
        final ReplayOptions options = ReplayOptions.defaults();
        final List<SourcedTrace> held = new ArrayList<>(n);
        final long before = usedAfterGc();
        try (TraceSource source = new TraceSource(0, file.toString(), TraceFormat.EXCHANGE_ONLINE_CSV,
                Replayer.reader(TraceFormat.EXCHANGE_ONLINE_CSV, InputFiles.open(file, new AtomicLong(), 0), file.toString(), options),
                options.reorderWindow(), new ReplayStats(), r -> { }).inFileOrder()) {
            SourcedTrace t;
            while (held.size() < n && (t = source.next()) != null) {
                held.add(t);
            }
        }
        final long after = usedAfterGc();
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        final org.apache.avro.io.BinaryEncoder enc = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
        final org.apache.avro.specific.SpecificDatumWriter<MessageTrace> w = new org.apache.avro.specific.SpecificDatumWriter<>(MessageTrace.class);
        for (int i = 0; i < Math.min(held.size(), 100_000); i++) {
            w.write(held.get(i).trace(), enc);
        }
        enc.flush();
        final long avroBytes = out.size();
        System.out.printf(Locale.ROOT, "%,d records held: %,d bytes of heap each (list included); Avro binary %,d bytes each%n",
                held.size(), (after - before) / held.size(), avroBytes / Math.min(held.size(), 100_000));
        if (held.isEmpty()) {
            System.out.println("(nothing read)");
        }
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        final Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static final class CountingSink implements TraceSink {
        private final AtomicLong count = new AtomicLong();

        @Override
        public void accept(final String key, final MessageTrace trace) {
            count.incrementAndGet();
        }

        @Override
        public void reject(final DeadLetter deadLetter) {
        }
    }
}
