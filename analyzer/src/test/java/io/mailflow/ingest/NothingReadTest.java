package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file of which not a single record could be read is named in the summary, so the replay cannot look successful. */
@DisplayName("replay: files of which not a single record could be read")
class NothingReadTest {
    private static final String ROW = "2026-03-02T06:00:0%d.000Z,,EX01,203.0.113.1,mx.example,,Outbound,SMTP,DEFER,1,<m%d@x>,,r%d@y,"
            + "450 4.4.316 Connection refused,100,1,,,s,a@x,a@x,,Originating,,,,\n";
    private static final String FIELDS = "#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
            + "connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,"
            + "total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,"
            + "message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data\n";

    @TempDir
    Path tmp;

    private Path log(final String name, final boolean withFields, final int rows) throws IOException {
        final StringBuilder sb = new StringBuilder("#Software: Microsoft Exchange Server\n#Version: 15.02.1544.004\n");
        if (withFields) {
            sb.append(FIELDS);
        }
        for (int i = 0; i < rows; i++) {
            sb.append(String.format(ROW, i, i, i));
        }
        return Files.writeString(tmp.resolve(name), sb.toString());
    }

    @Test
    @DisplayName("an Exchange log without its #Fields line: named, with how many lines became dead letters and why")
    void exchangeLogWithoutFields() throws IOException, InterruptedException {
        final Path good = log("good.LOG", true, 3);
        final Path headless = log("headless.LOG", false, 5);
        final CollectingSink sink = new CollectingSink();
        final ReplaySummary summary = new Replayer().replay(List.of(good, headless), Fixtures.options(), sink);
        assertEquals(3, summary.records());
        assertEquals(5, sink.deadLetters.size(), "the dead letters are still written");
        assertEquals(Map.of(headless.toString(), "5 lines dead-lettered, first: data line before any #Fields header"),
                summary.nothingRead());
        assertTrue(summary.render().contains("Files of which not a single record could be read:\n  " + headless
                + ": 5 lines dead-lettered"), summary.render());
    }

    @Test
    @DisplayName("a file with some good lines, or with nothing but comments, is not one of them")
    void partlyReadOrEmptyFilesAreFine() throws IOException, InterruptedException {
        final Path mixed = Files.writeString(tmp.resolve("mixed.LOG"), "#Software: Microsoft Exchange Server\n" + FIELDS
                + String.format(ROW, 1, 1, 1) + "garbage,line\n");
        final Path headerOnly = log("header-only.LOG", true, 0);
        final ReplaySummary summary = new Replayer().replay(List.of(mixed, headerOnly), Fixtures.options(), new CollectingSink());
        assertEquals(1, summary.records());
        assertEquals(1, summary.rejected());
        assertEquals(Map.of(), summary.nothingRead());
    }
}
