package io.mailflow.ingest;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;

/**
 * Decides the {@link DateOrder} of one Exchange Online CSV export from the file's own dates, before
 * anything of it is sent. {@code Export-Csv} writes every DateTime of a file in the one culture of
 * the machine that ran it, so all date columns of the file (Date, Received, StartDate, EndDate,
 * date_time_utc, origin_timestamp, ...) share one order:
 * <ul>
 * <li>a first field above 12 in any numeric date ({@code 13/03/2026}) settles day first;</li>
 * <li>a second field above 12 ({@code 3/13/2026}) settles month first;</li>
 * <li>both in one file: its rows disagree, the file is refused;</li>
 * <li>numeric dates whose first two fields are all 12 or less: the file could be either, it is
 * refused with a message naming an example value and {@code --date-format};</li>
 * <li>only year-first dates (ISO-8601, sv-SE): nothing to decide;</li>
 * <li>dates, but none in a form mailflow reads: refused (rather than a replay of nothing but
 * dead letters that exits 0).</li>
 * </ul>
 * With {@code --date-format} the user's order is used for every file and nothing is scanned.
 */
final class ExportDates {
    /** Column names that hold DateTime values in the CSV exports, lower case without '_', '-' and ' '. */
    private static final Set<String> DATE_COLUMNS = Set.of("date", "datetime", "datetimeutc", "received",
            "startdate", "enddate", "origintimestamp", "origintimestamputc", "timestamp");

    private ExportDates() {
    }

    /** The formats whose dates PowerShell or the report download may have written in a culture's form. */
    static boolean culturalDates(final TraceFormat format) {
        return format == TraceFormat.EXCHANGE_ONLINE_CSV || format == TraceFormat.EXCHANGE_ONLINE_DETAIL
                || format == TraceFormat.EXCHANGE_ONLINE_SUMMARY;
    }

    /**
     * The options to read one file with: unchanged when the user gave a date order or the format
     * has no culture-formatted dates, otherwise with the order decided from the file's dates.
     *
     * @throws UnsupportedTraceFileException when the file's dates are ambiguous, disagree, or unreadable
     */
    static ReplayOptions forFile(final TraceFormat format, final Path path, final ReplayOptions options) {
        if (options.dateOrder() != null || !culturalDates(format)) {
            return options;
        }
        try (InputFiles.Opened opened = InputFiles.open(path, new AtomicLong(), 0)) {
            return options.withDateOrder(decide(path, opened.reader()));
        } catch (final IOException e) {
            throw new UnsupportedTraceFileException(path, "cannot be read: " + e.getMessage(), e);
        }
    }

    /** Reads the whole export (its header and date columns) and decides; {@code file} names it in messages. */
    static DateOrder decide(final Path file, final Reader text) throws IOException {
        final Evidence evidence = new Evidence();
        final LineReader lines = new LineReader(text);
        List<Integer> dateColumns = null;
        int width = -1;
        String line;
        while ((line = lines.readLine()) != null) {
            final long number = lines.lineNumber();
            if (line.isBlank() || (dateColumns == null && line.startsWith("#"))) {
                continue;
            }
            final List<String> row = CsvLine.split(line);
            if (row == null) {
                continue;
            }
            if (dateColumns == null) {
                final List<Integer> found = dateColumns(row);
                if (!found.isEmpty()) {
                    dateColumns = found;
                    width = row.size();
                }
                continue;
            }
            if (row.size() != width) {
                continue; // the parser rejects the row for its width; its date decides nothing
            }
            for (final int column : dateColumns) {
                evidence.observe(row.get(column), number);
            }
        }
        return evidence.decide(file);
    }

    private static List<Integer> dateColumns(final List<String> header) {
        final List<Integer> out = new ArrayList<>();
        for (int i = 0; i < header.size(); i++) {
            final String name = header.get(i).trim().toLowerCase(Locale.ROOT)
                    .replace("_", "").replace("-", "").replace(" ", "").replace("\uFEFF", "");
            if (DATE_COLUMNS.contains(name)) {
                out.add(i);
            }
        }
        return out;
    }

    /** What the dates of one file say about their order; the first example of each kind for messages. */
    static final class Evidence {
        private Example dayFirst;
        private Example monthFirst;
        private Example ambiguous;
        private Example unreadable;
        private long readable;

        record Example(String value, long line) {
            @Override
            public String toString() {
                return value + " (line " + line + ")";
            }
        }

        void observe(final String raw, final long line) {
            if (raw == null || raw.isBlank()) {
                return;
            }
            final String value = raw.trim();
            final Matcher m = Timestamps.DAY_MONTH.matcher(value);
            if (m.matches()) {
                final int first = Integer.parseInt(m.group(1));
                final int second = Integer.parseInt(m.group(3));
                if (first < 1 || second < 1 || first > 31 || second > 31 || (first > 12 && second > 12)) {
                    unreadable = unreadable != null ? unreadable : new Example(value, line);
                } else if (first > 12) {
                    dayFirst = dayFirst != null ? dayFirst : new Example(value, line);
                } else if (second > 12) {
                    monthFirst = monthFirst != null ? monthFirst : new Example(value, line);
                } else {
                    ambiguous = ambiguous != null ? ambiguous : new Example(value, line);
                }
                return;
            }
            if (Timestamps.parseUtc(value) != null) {
                readable++;
            } else {
                unreadable = unreadable != null ? unreadable : new Example(value, line);
            }
        }

        DateOrder decide(final Path file) {
            if (dayFirst != null && monthFirst != null) {
                throw UnsupportedTraceFileException.unreadableDates(file, "its dates disagree on the order of day and month: "
                        + dayFirst + " has the day first, " + monthFirst + " the month first, so its rows were not "
                        + "written with one date format; with --date-format dmy or --date-format mdy it is read in that "
                        + "order and the rows that do not fit it become dead letters");
            }
            if (dayFirst != null) {
                return DateOrder.DAY_FIRST;
            }
            if (monthFirst != null) {
                return DateOrder.MONTH_FIRST;
            }
            if (ambiguous != null) {
                throw UnsupportedTraceFileException.unreadableDates(file, "dates like " + ambiguous.value
                        + " could be day/month or month/day (every day in the file is 12 or less); give --date-format dmy "
                        + "or --date-format mdy (or a culture: --date-format en-GB)");
            }
            if (readable == 0 && unreadable != null) {
                throw UnsupportedTraceFileException.unreadableDates(file, "none of its dates is in a form mailflow reads, e.g. "
                        + unreadable + "; expected ISO-8601 (2026-03-02T10:00:00), 2026-03-02 10:00:00, or a numeric date "
                        + "with a four-digit year last (02/03/2026 10:00:00, 3/2/2026 10:00:00 AM, 02.03.2026 10:00, 2-3-2026 10:00)");
            }
            return DateOrder.YEAR_FIRST;
        }
    }
}
