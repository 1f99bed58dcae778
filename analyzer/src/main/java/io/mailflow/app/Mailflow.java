package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
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
        ShipCommand.class,
        NotifyCommand.class,
        ConsumeCommand.class,
        LagCommand.class,
        TopicsCommand.class,
        TopologyCommand.class,
        io.mailflow.generate.GenerateCommand.class,
        io.mailflow.queue.NdrCommand.class,
        io.mailflow.bench.BenchCommand.class,
        SettingsCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error, 3 unreadable input, 130 interrupted."})
public final class Mailflow implements java.util.concurrent.Callable<Integer> {

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
        cli.setParameterExceptionHandler(Mailflow::usageError);
        cli.setExecutionExceptionHandler((error, commandLine, parseResult) -> {
            final Throwable root = unwrap(error);
            final String who = commandLine.getCommandSpec().qualifiedName() + ": ";
            if (Interruption.inProgress()) {
                return ExitCodes.INTERRUPTED; // Ctrl-C closed what the command was using; the handler said so
            }
            if (root instanceof CommandLine.ParameterException usage) {
                return usageError(usage, new String[0]);
            }
            if (root instanceof MailflowConfig.ConfigException) {
                commandLine.getErr().println(who + root.getMessage());
                return ExitCodes.USAGE;
            }
            if (root instanceof UnsupportedTraceFileException unreadable) {
                commandLine.getErr().println(who + root.getMessage());
                return unreadable.exitCode();
            }
            if (root instanceof NothingReadException) {
                commandLine.getErr().println(who + root.getMessage());
                return ExitCodes.BAD_INPUT;
            }
            final String access = KafkaAccess.explain(error);
            if (access != null) {
                commandLine.getErr().println(who + access);
            } else {
                commandLine.getErr().println(who + io.mailflow.config.Secrets.maskUrls(
                    root.getMessage() == null ? root.toString() : root.getMessage()));
            }
            if (Boolean.getBoolean("mailflow.debug")) {
                error.printStackTrace(commandLine.getErr());
            }
            return ExitCodes.RUNTIME_FAILURE;
        });
        return cli;
    }

    /**
     * A usage error: one line naming the command and the problem, the option's accepted values when
     * picocli knows them, and where to find the rest; not the whole usage, which buries the line
     * that matters.
     */
    private static int usageError(final CommandLine.ParameterException error, final String[] args) {
        final CommandLine commandLine = error.getCommandLine();
        final java.io.PrintWriter err = commandLine.getErr();
        final String name = commandLine.getCommandSpec().qualifiedName();
        err.println(name + ": " + error.getMessage());
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(error, err)) {
            err.println("Try '" + name + " --help' for the options.");
        }
        err.flush();
        return ExitCodes.USAGE;
    }

    private static Throwable unwrap(final Throwable error) {
        Throwable t = error;
        while ((t instanceof java.util.concurrent.ExecutionException || t instanceof java.util.concurrent.CompletionException)
            && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** {@code mailflow} alone: a command is missing, so the usage goes to stderr and it is a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
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
