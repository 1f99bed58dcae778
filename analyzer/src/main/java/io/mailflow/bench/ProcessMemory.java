package io.mailflow.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Heap in use and resident set size of this JVM, and sizes of directories on disk. */
final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /** Heap in use after a full collection, so it counts live data rather than garbage. */
    static long liveHeapBytes() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** VmRSS from /proc/self/status, or -1 where there is no /proc (not Linux). */
    static long residentSetBytes() {
        try {
            for (final String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    final String kb = line.substring("VmRSS:".length()).trim().split("\\s+")[0];
                    return Long.parseLong(kb) * 1024;
                }
            }
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    static long directoryBytes(final Path dir) {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (final IOException e) {
                    return 0; // a RocksDB file compacted away while we walk
                }
            }).sum();
        } catch (final IOException | java.io.UncheckedIOException e) {
            return -1;
        }
    }

    static void deleteRecursively(final Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (final IOException e) {
                    // best effort: a temp dir left behind is no reason to fail a benchmark
                }
            });
        } catch (final IOException e) {
            // as above
        }
    }
}
