package io.mailflow.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Splits one line as an RFC 4180 record (Apache Commons CSV): quoted fields with embedded commas
 * and doubled quotes. A record spread over several lines (a quoted line break) is not joined: the
 * line is rejected with its number, which keeps line numbers exact.
 */
final class CsvLine {
    private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder()
            .setIgnoreSurroundingSpaces(false)
            .setRecordSeparator("\n")
            .get();

    private CsvLine() {
    }

    /** The fields of the line, or null when it is not a single well-formed CSV record. */
    static List<String> split(final String line) {
        if (line.indexOf('"') < 0) {
            return fastSplit(line);
        }
        try (CSVParser parser = CSVParser.parse(line, FORMAT)) {
            final List<CSVRecord> records = parser.getRecords();
            if (records.size() != 1) {
                return null;
            }
            return records.get(0).toList();
        } catch (final IOException | UncheckedIOException | IllegalStateException e) {
            // commons-csv reports an unterminated quote or junk after a closing quote this way
            return null;
        }
    }

    /** Most tracking-log lines have no quotes at all; splitting those needs no CSV machinery. */
    private static List<String> fastSplit(final String line) {
        final List<String> out = new ArrayList<>(32);
        int start = 0;
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == ',') {
                out.add(line.substring(start, i));
                start = i + 1;
            }
        }
        out.add(line.substring(start));
        return out;
    }
}
