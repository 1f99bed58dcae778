package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Parse throughput benchmark (not a test): generates a large Exchange tracking log and a large
 * Postfix log, replays each at max speed into a sink that only counts, and prints records/s.
 *
 * <pre>
 * mvn -q -B -pl analyzer -am test-compile
 * mvn -q -B -pl analyzer dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp analyzer/target/test-classes:analyzer/target/classes:schemas/target/classes:$(cat /tmp/cp.txt) \
 *      io.mailflow.ingest.ParseThroughput [lines, default 1000000]
 * </pre>
 */
public final class ParseThroughput {
    private ParseThroughput() {
    }

    public static void main(final String[] args) throws Exception {
        final int lines = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final Path dir = Files.createTempDirectory("mailflow-bench");
        try {
            final Path exchange = exchangeLog(dir.resolve("MSGTRK2024030210-1.LOG"), lines);
            final Path postfix = postfixLog(dir.resolve("mail.log"), lines);
            // one warm-up round so the JIT has compiled the parsers, then the measured round
            for (final String round : List.of("warm-up", "measured")) {
                run(round, "exchange-msgtrk", exchange, lines);
                run(round, "postfix", postfix, lines);
            }
            run("measured", "both merged", null, lines * 2, exchange, postfix);
        } finally {
            try (var files = Files.list(dir)) {
                for (final Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    private static void run(final String round, final String label, final Path file, final int lines, final Path... more)
            throws InterruptedException {
        final List<Path> inputs = file != null ? List.of(file) : List.of(more);
        final long[] counts = new long[2];
        final TraceSink counting = new TraceSink() {
            @Override
            public void accept(final String key, final MessageTrace trace) {
                counts[0]++;
            }

            @Override
            public void reject(final DeadLetter deadLetter) {
                counts[1]++;
            }
        };
        final long start = System.nanoTime();
        final ReplaySummary summary = new Replayer().replay(inputs, ReplayOptions.defaults().withReferenceYear(2024), counting);
        final double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "%-9s %-16s %,10d lines %,10d records %,6d rejected %6.2f s  %,10.0f lines/s  %,10.0f records/s  %,6.1f MB/s%n",
                round, label, lines, summary.records(), summary.rejected(), seconds, lines / seconds, summary.records() / seconds,
                summary.bytesRead() / seconds / 1e6);
    }

    /** A mix like a busy hub: RECEIVE, SEND to two recipients, DELIVER, DEFER with an LED list; quoted subjects. */
    static Path exchangeLog(final Path file, final int lines) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("\uFEFF#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-type: Message Tracking Log\r\n");
            w.write("#Date: 2024-03-02T00:00:00.000Z\r\n#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,"
                    + "source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,"
                    + "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,"
                    + "return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,"
                    + "transport-traffic-type,log-id,schema-version\r\n");
            final long base = java.time.Instant.parse("2024-03-02T00:00:00Z").toEpochMilli();
            for (int i = 0; i < lines - 5; i++) {
                final String time = java.time.Instant.ofEpochMilli(base + i * 10L).toString();
                final int msg = i / 4;
                final String ids = msg + ",<m" + msg + "@contoso.com>,0e5c7d3a-1b2c-4d5e-8f90-" + String.format(Locale.ROOT, "%012d", msg);
                switch (i % 4) {
                    case 0 -> w.write(time + ",198.51.100.7,mail.partner.example,10.0.0.11,EX01,08DC3A9F;250 2.0.0,EX01\\Default Frontend,SMTP,RECEIVE,"
                            + ids + ",a@contoso.com;b@contoso.com,,48213,2,,,\"Report, \"\"final\"\" " + msg + "\",x@partner.example,x@partner.example,,Incoming,,,,,Email,,15.02\r\n");
                    case 1 -> w.write(time + ",10.0.0.11,EX01,203.0.113.25,mx.fabrikam.com,08DC3A9F;250 2.6.0 queued,Outbound to Fabrikam,SMTP,SEND,"
                            + ids + ",c@fabrikam.com;d@fabrikam.com,250 2.1.5 Recipient OK;250 2.1.5 Recipient OK,9120,2,,,Invoice,e@contoso.com,e@contoso.com,,Originating,,,,,Email,,15.02\r\n");
                    case 2 -> w.write(time + ",10.0.0.11,EX01.contoso.com,10.0.0.12,EX02,MDB:6e1c,,STOREDRIVER,DELIVER,"
                            + ids + ",a@contoso.com,250 2.1.5 RecipientOK,48213,1,,,Subject,x@partner.example,x@partner.example,,Incoming,,,,,Email,,15.02\r\n");
                    default -> w.write(time + ",,EX01,,,,Outbound to Northwind,SMTP,DEFER,"
                            + ids + ",f@northwind.example,\"[{LRT=3/2/2024 10:11:58 AM};{LED=450 4.4.316 Connection refused [Message=Socket error code 10061]};{FQDN=mx.northwind.example};{IP=203.0.113.40}]\",5120,1,,,Welcome,e@contoso.com,e@contoso.com,,Originating,,,,,Email,,15.02\r\n");
                }
            }
        }
        return file;
    }

    /** Five lines per message (client, cleanup, qmgr, delivery, removed), every fourth delivery deferred, plus TLS noise. */
    static Path postfixLog(final Path file, final int lines) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            final java.time.LocalDateTime base = java.time.LocalDateTime.of(2024, 3, 2, 0, 0);
            final java.time.format.DateTimeFormatter fmt = java.time.format.DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);
            for (int i = 0; i < lines; i++) {
                final int msg = i / 5;
                final String qid = String.format(Locale.ROOT, "%010X", 0x1000000000L + msg);
                final String ts = base.plusSeconds(i / 20).format(fmt) + " mx1 ";
                w.write(ts);
                switch (i % 5) {
                    case 0 -> w.write("postfix/smtpd[1001]: " + qid + ": client=client.example.net[192.0.2.10]\n");
                    case 1 -> w.write("postfix/cleanup[1002]: " + qid + ": message-id=<" + msg + "@example.net>\n");
                    case 2 -> w.write("postfix/qmgr[900]: " + qid + ": from=<alice@example.net>, size=2048, nrcpt=1 (queue active)\n");
                    case 3 -> w.write(msg % 4 == 0
                            ? "postfix/smtp[1004]: " + qid + ": to=<dave@slow.example>, relay=mx.slow.example[203.0.113.9]:25, delay=2, delays=0.1/0/1.9/0, dsn=4.7.1, status=deferred (host mx.slow.example[203.0.113.9] said: 450 4.7.1 Greylisted (in reply to RCPT TO command))\n"
                            : "postfix/smtp[1004]: " + qid + ": to=<carol@dest.example>, relay=relay.example.com[203.0.113.5]:25, delay=3, delays=0.1/0.01/1.2/1.7, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9XYZ)\n");
                    default -> w.write(msg % 2 == 0
                            ? "postfix/qmgr[900]: " + qid + ": removed\n"
                            : "postfix/smtp[1004]: Trusted TLS connection established to relay.example.com[203.0.113.5]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n");
                }
            }
        }
        return file;
    }
}
