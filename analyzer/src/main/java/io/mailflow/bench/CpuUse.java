package io.mailflow.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time a timed run used: its app's stream threads, the JIT compilers and the whole process
 * (broker included when it is embedded). Per record it is a figure that load on the machine
 * barely moves, where records/s on 2 shared cores varies by a fifth from run to run: what a change
 * to the topology saves shows in the stream threads' microseconds per record.
 */
record CpuUse(double streamThreadSeconds, double compilerSeconds, double processSeconds) {

    /** The counters now, for the stream threads of application {@code appId}. */
    static CpuUse now(final String appId) {
        final long stream = byStreamThread(appId).values().stream().mapToLong(Long::longValue).sum();
        final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        final double compiler = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() / 1e3 : Double.NaN;
        final double process = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
            ? os.getProcessCpuTime() / 1e9 : Double.NaN;
        return new CpuUse(stream / 1e9, compiler, process);
    }

    /** CPU nanoseconds each stream thread of application {@code appId} has used, by thread name. */
    static Map<String, Long> byStreamThread(final String appId) {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final Map<String, Long> cpu = new HashMap<>();
        for (final Thread t : Thread.getAllStackTraces().keySet()) {
            if (isStreamThread(t, appId)) {
                cpu.put(t.getName(), Math.max(0, threads.getThreadCpuTime(t.getId())));
            }
        }
        return cpu;
    }

    private static boolean isStreamThread(final Thread t, final String appId) {
        return t.getName().startsWith(appId + "-") && t.getName().contains("-StreamThread-")
            && !t.getName().contains("producer") && !t.getName().contains("consumer");
    }

    /** What was used from {@code start} to this. */
    CpuUse since(final CpuUse start) {
        return new CpuUse(streamThreadSeconds - start.streamThreadSeconds, compilerSeconds - start.compilerSeconds,
            processSeconds - start.processSeconds);
    }

    /** The JIT compilers' part of the process's CPU (0 when either is unknown). */
    double compilerShare() {
        return processSeconds > 0 && !Double.isNaN(compilerSeconds) ? compilerSeconds / processSeconds : 0;
    }

    /** "stream threads 14.2 µs, JIT 3.1 µs, process 30.2 µs per record". */
    String perRecord(final long records) {
        return String.format(java.util.Locale.ROOT, "CPU per record: stream threads %.1f µs, JIT %.1f µs, process %.1f µs",
            1e6 * streamThreadSeconds / records, 1e6 * compilerSeconds / records, 1e6 * processSeconds / records);
    }
}
