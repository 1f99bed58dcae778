package io.mailflow.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MultipartReport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@DisplayName("mailflow ndr writes one ready-to-send .eml per NDR line")
class NdrCommandTest {
    private static final String GOOD = """
        {"reason":"EXPIRED","messageId":"<q1@fabrikam.example>","networkMessageId":null,"originalSender":"alice@fabrikam.example",\
        "finalRecipient":"bob@contoso.example","connectorId":"Outbound to Contoso","action":"failed","status":"4.4.7",\
        "diagnosticCode":"smtp; 550 4.4.7 QUEUE.Expired; message expired","reportingMta":"EXHUB01","remoteMta":"mail.contoso.example",\
        "arrivalDate":"2026-11-30T08:00:00Z","firstDeferralTime":"2026-11-30T08:01:00Z","lastAttemptDate":"2026-12-01T07:45:00Z",\
        "expiryTime":"2026-12-01T08:00:00Z","attempts":97,"eventTime":"2026-12-01T08:00:00Z"}""";
    private static final String MINIMAL = """
        {"reason":"PERMANENT_FAILURE","finalRecipient":"Carol@Contoso.example","action":"failed","status":"5.1.1",\
        "diagnosticCode":"smtp; 550 5.1.1 User unknown","reportingMta":"mx1","attempts":1,"eventTime":"2026-11-30T09:00:00Z"}""";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args) {
        return new CommandLine(new NdrCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
    }

    @Test
    void writesOneMessagePerLineAndReportsBadLines(@TempDir final Path dir) throws Exception {
        final Path in = dir.resolve("ndr.jsonl");
        Files.writeString(in, GOOD + "\n" + "{\"reason\":\"EXPIRED\"}\n" + "\n" + MINIMAL + "\n" + "not json\n");
        final Path outDir = dir.resolve("out");

        assertEquals(1, run("--in", in.toString(), "--out-dir", outDir.toString()), "exit 1: some lines were skipped");

        final List<Path> files;
        try (Stream<Path> s = Files.list(outDir)) {
            files = s.sorted().toList();
        }
        assertEquals(List.of("ndr-000001-bob@contoso.example.eml", "ndr-000004-carol@contoso.example.eml"),
            files.stream().map(p -> p.getFileName().toString()).toList());
        try (InputStream mime = Files.newInputStream(files.get(0))) {
            final MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), mime);
            final MultipartReport report = (MultipartReport) m.getContent();
            assertEquals("rfc822; bob@contoso.example", ((DeliveryStatus) report.getReport()).getRecipientDSN(0).getHeader("Final-Recipient", null));
        }
        assertTrue(err.toString().contains("ndr.jsonl:2: skipped: missing required field"), err.toString());
        assertTrue(err.toString().contains("ndr.jsonl:5: skipped: not JSON"), err.toString());
        assertTrue(out.toString().contains("wrote 2 NDR message(s)"), out.toString());
        assertTrue(out.toString().contains("1 without a known sender: no To: header"), out.toString());
    }

    @Test
    void helpDescribesTheOptions() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("--in=FILE"), out.toString());
        assertTrue(out.toString().contains("--out-dir=DIR"), out.toString());
    }

    @Test
    void missingOptionsAreAUsageError() {
        assertEquals(2, run("--in", "x.jsonl"));
        assertTrue(err.toString().contains("--out-dir"), err.toString());
    }
}
