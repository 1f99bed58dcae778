package io.mailflow.app;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Ctrl-C (SIGINT) during a command that runs an embedded broker ({@code demo}, {@code replay
 * --embedded}): one line on standard error saying so, the runtime stopped and every temporary
 * directory it made deleted ({@code mailflow-kafka-*}, {@code mailflow-state-*},
 * {@code mailflow-demo-*}: tens of MB each), then the JVM exits with 130 as for any SIGINT.
 *
 * <p>A JVM shutdown hook is the only place that runs on SIGINT. It runs beside the command's own
 * thread, which is still inside the broker or the analyzer; what it closes must therefore be safe
 * to close twice and from two threads ({@link EmbeddedRuntime#close()} is). The command removes the
 * hook when it ends normally, so a finished run's exit is not mistaken for an interruption.
 */
public final class Interruption implements AutoCloseable {
    private static volatile boolean inProgress;

    private final Thread hook;

    private Interruption(final Thread hook) {
        this.hook = hook;
    }

    /**
     * Arms the handler: on Ctrl-C, prints "{@code command}: interrupted; ..." to {@code err} and
     * closes {@code cleanups} in reverse order.
     */
    public static Interruption onCtrlC(final String command, final PrintStream err, final List<AutoCloseable> cleanups) {
        final List<AutoCloseable> reversed = new ArrayList<>(cleanups);
        java.util.Collections.reverse(reversed);
        final Thread hook = new Thread(() -> {
            inProgress = true;
            err.println(command + ": interrupted; stopping the embedded broker and deleting its temporary files");
            err.flush();
            for (final AutoCloseable cleanup : reversed) {
                try {
                    cleanup.close();
                } catch (final Exception e) {
                    err.println(command + ": while cleaning up: " + e.getMessage());
                }
            }
        }, "mailflow-interrupted");
        Runtime.getRuntime().addShutdownHook(hook);
        return new Interruption(hook);
    }

    /**
     * True once Ctrl-C was pressed: the command's own thread then fails in whatever the hook closed
     * under it, and that failure is no news to the user.
     */
    public static boolean inProgress() {
        return inProgress;
    }

    /** The command ended by itself: the hook is no longer needed. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException shuttingDown) {
            // the hook is running or has run; it does the cleanup
        }
    }
}
