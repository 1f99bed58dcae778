package io.mailflow.app;

import io.mailflow.ingest.UnsupportedTraceFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mailflow} command line. */
@Command(name = "mailflow",
    mixinStandardHelpOptions = true,
    versionProvider = Mailflow.Version.class,
    description = {
        "Mail flow intelligence on Kafka Streams: connector failure alerts, delay notices and expiry NDRs "
            + "from Exchange, Exchange Online and Postfix message traces."},
    subcommands = {
        RunCommand.class,
        DemoCommand.class,
        ReplayCommand.class,
        ConsumeCommand.class,
        TopicsCommand.class,
        TopologyCommand.class,
        io.mailflow.generate.GenerateCommand.class,
        io.mailflow.queue.NdrCommand.class,
        io.mailflow.bench.BenchCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error, 3 unreadable input, 130 interrupted."})
public final class Mailflow implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(final String[] args) {
        System.exit(execute(args));
    }

    public static int execute(final String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        final CommandLine cli = new CommandLine(new Mailflow());
        cli.setExecutionExceptionHandler((error, commandLine, parseResult) -> {
            final Throwable root = unwrap(error);
            if (root instanceof MailflowConfig.ConfigException) {
                commandLine.getErr().println("mailflow: " + root.getMessage());
                return ExitCodes.USAGE;
            }
            if (root instanceof UnsupportedTraceFileException) {
                commandLine.getErr().println("mailflow: " + root.getMessage());
                return ExitCodes.BAD_INPUT;
            }
            commandLine.getErr().println("mailflow: " + (root.getMessage() == null ? root.toString() : root.getMessage()));
            if (Boolean.getBoolean("mailflow.debug")) {
                error.printStackTrace(commandLine.getErr());
            }
            return ExitCodes.RUNTIME_FAILURE;
        });
        return cli;
    }

    private static Throwable unwrap(final Throwable error) {
        Throwable t = error;
        while ((t instanceof java.util.concurrent.ExecutionException || t instanceof java.util.concurrent.CompletionException)
            && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            final String v = Mailflow.class.getPackage().getImplementationVersion();
            return new String[] {"mailflow " + (v == null ? "dev" : v) + " (Kafka Streams "
                + org.apache.kafka.common.utils.internals.AppInfoParser.getVersion() + ", Java " + Runtime.version() + ")"};
        }
    }
}
