package io.mailflow.queue;

import io.mailflow.avro.NonDeliveryReport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mailflow ndr}: turns NDR records (JSON lines) into ready-to-send RFC 3464 messages, one .eml each. */
@Command(name = "ndr", mixinStandardHelpOptions = true,
    description = {
        "Write each non-delivery report as a ready-to-send RFC 3464 message, one .eml file per NDR.",
        "The messages are multipart/report; report-type=delivery-status.",
        "Input: JSON lines of NonDeliveryReport, field names as in the Avro schema,",
        "timestamps as ISO-8601 UTC strings (e.g. 2026-11-30T08:00:00Z)."},
    footer = {"", "An NDR whose original sender the traces do not name is written without a To: header",
        "(nothing to answer, or a null-sender bounce that must not be answered): look the message up by",
        "its In-Reply-To Message-ID and add To: before sending, or keep it (docs/queue-tracking.md).",
        "", "Exit status: 0 all written, 1 some lines could not be read (reported on stderr), 2 usage or I/O error."})
public final class NdrCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "FILE", description = "JSON lines of NonDeliveryReport ('-' for standard input).")
    private Path in;

    @Option(names = "--out-dir", required = true, paramLabel = "DIR", description = "Directory for the .eml files (created if missing).")
    private Path outDir;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        int written = 0;
        int withoutSender = 0;
        int rejected = 0;
        try {
            Files.createDirectories(outDir);
            try (BufferedReader reader = in.toString().equals("-")
                ? new BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(in, StandardCharsets.UTF_8)) {
                String line;
                long number = 0;
                while ((line = reader.readLine()) != null) {
                    number++;
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        final NonDeliveryReport ndr = NdrJson.parse(line);
                        Files.write(outDir.resolve(fileName(number, ndr)), DsnMessages.toMime(ndr));
                        written++;
                        if (ndr.getOriginalSender() == null) {
                            withoutSender++;
                        }
                    } catch (final IllegalArgumentException | IllegalStateException e) {
                        rejected++;
                        err.println(in + ":" + number + ": skipped: " + e.getMessage());
                    }
                }
            }
        } catch (final IOException e) {
            err.println("mailflow ndr: " + e.getMessage());
            return 2;
        }
        out.println("wrote " + written + " NDR message(s) to " + outDir
            + (withoutSender == 0 ? "" : ", " + withoutSender + " without a known sender: no To: header")
            + (rejected == 0 ? "" : ", " + rejected + " line(s) skipped"));
        return rejected == 0 ? 0 : 1;
    }

    /** Line number first (unique, in input order), then the recipient, made safe for any file system. */
    static String fileName(final long line, final NonDeliveryReport ndr) {
        final String recipient = ndr.getFinalRecipient().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9@._-]", "_");
        final String cut = recipient.length() > 80 ? recipient.substring(0, 80) : recipient;
        return String.format(Locale.ROOT, "ndr-%06d-%s.eml", line, cut);
    }
}
