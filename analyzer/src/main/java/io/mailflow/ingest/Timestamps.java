package io.mailflow.ingest;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Timestamps as Exchange and Exchange Online write them. A value without a zone is UTC: tracking
 * logs, the extended report, the Reporting Web Service and Get-MessageTrace ("the time stamps on
 * the output are in UTC") all write UTC; a value with {@code Z} or an offset is read with it.
 *
 * <p>Year-first dates (ISO-8601, {@code 2026-03-02 10:00:00}, {@code 2026/03/02 10:00}) are read
 * anywhere. Numeric dates with the year last ({@code 02/03/2026}, {@code 3/2/2026 10:00:00 AM},
 * {@code 02.03.2026}, {@code 2-3-2026}) are read only with a {@link DateOrder} that says which
 * field is the day: the value itself never decides, so one file is never read half one way and
 * half the other.
 */
final class Timestamps {
    /** Time of day after a date: 24- or 12-hour, ':' (or fi-FI '.') between fields, optional seconds, fraction, AM/PM. */
    private static final String TIME = "(?:(?:\\s+|T)(\\d{1,2})[:.](\\d{2})(?:[:.](\\d{2})(?:[.,](\\d{1,9}))?)?"
            + "(?:\\s*([AaPp])\\.?\\s?[Mm]\\.?)?)?";
    private static final String ZONE = "\\s*(Z|z|UTC|GMT|[+-]\\d{2}(?::?\\d{2})?)?";
    private static final Pattern YEAR_FIRST = Pattern.compile("(\\d{4})([-/.])(\\d{1,2})\\2(\\d{1,2})" + TIME + ZONE);
    /** d/M/yyyy or M/d/yyyy (also with '.' or '-'): which one only the file's date order says. */
    static final Pattern DAY_MONTH = Pattern.compile("(\\d{1,2})([-/.])(\\d{1,2})\\2(\\d{4})" + TIME + ZONE);
    /** Why a text that looks like no date at all is refused: says nothing the value does not show. */
    private static final String NO_DATE = "not a date and time in a form mailflow reads";

    private Timestamps() {
    }

    /**
     * ISO-8601 with or without zone, other year-first forms, or epoch milliseconds; null if the
     * text is none of them (numeric day/month dates included: without a date order they are
     * refused, not guessed). For formats whose times are not culture-formatted: tracking logs,
     * JSON, JSON lines.
     */
    static Instant parseUtc(final String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return parse(text, null);
        } catch (final DateTimeException e) {
            return null;
        }
    }

    /**
     * Reads one timestamp of a file whose numeric dates are in {@code order} (null: the order is
     * unknown, so only year-first forms are read).
     *
     * @throws DateTimeException saying why the text is no timestamp in this order
     */
    static Instant parse(final String text, final DateOrder order) {
        final String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new DateTimeException(NO_DATE);
        }
        final Matcher ymd = YEAR_FIRST.matcher(t);
        if (ymd.matches()) {
            return at(LocalDate.of(Integer.parseInt(ymd.group(1)), Integer.parseInt(ymd.group(3)),
                    Integer.parseInt(ymd.group(4))), ymd, 5);
        }
        final Matcher dm = DAY_MONTH.matcher(t);
        if (dm.matches()) {
            final int first = Integer.parseInt(dm.group(1));
            final int second = Integer.parseInt(dm.group(3));
            final int year = Integer.parseInt(dm.group(4));
            if (order == null) {
                throw new DateTimeException("day and month order unknown; this format is read in ISO-8601 (yyyy-MM-ddTHH:mm:ss)");
            }
            return switch (order) {
                case DAY_FIRST -> {
                    if (second > 12) {
                        throw new DateTimeException(second + " cannot be a month with --date-format dmy");
                    }
                    yield at(LocalDate.of(year, second, first), dm, 5);
                }
                case MONTH_FIRST -> {
                    if (first > 12) {
                        throw new DateTimeException(first + " cannot be a month with --date-format mdy");
                    }
                    yield at(LocalDate.of(year, first, second), dm, 5);
                }
                case YEAR_FIRST -> throw new DateTimeException("the year is last, not first as --date-format ymd says");
            };
        }
        if (t.chars().allMatch(Character::isDigit) && t.length() >= 10 && t.length() <= 13) {
            return Instant.ofEpochMilli(Long.parseLong(t));
        }
        try {
            // the rest of ISO-8601: a region id after the offset, ordinal or week dates
            return DateTimeFormatter.ISO_DATE_TIME.parse(t.toUpperCase(Locale.ROOT), OffsetDateTime::from).toInstant();
        } catch (final DateTimeParseException notOffset) {
            try {
                return LocalDateTime.parse(t.toUpperCase(Locale.ROOT), DateTimeFormatter.ISO_DATE_TIME).toInstant(ZoneOffset.UTC);
            } catch (final DateTimeParseException notLocal) {
                throw new DateTimeException(NO_DATE);
            }
        }
    }

    /**
     * The dead-letter reason for an unreadable timestamp: {@code unreadable <what> '<text>'}, and
     * why when there is more to say than that it is no date (a month above 12, an unknown order).
     */
    static String unreadable(final String what, final String text, final DateTimeException why) {
        final String reason = "unreadable " + what + " '" + (text == null ? "" : text) + "'";
        return NO_DATE.equals(why.getMessage()) ? reason : reason + ": " + why.getMessage();
    }

    /** The date at the time and zone in the groups from {@code first}: hour, minute, second, fraction, AM/PM, zone. */
    private static Instant at(final LocalDate date, final Matcher m, final int first) {
        LocalTime time = LocalTime.MIDNIGHT;
        if (m.group(first) != null) {
            int hour = Integer.parseInt(m.group(first));
            final String ampm = m.group(first + 4);
            if (ampm != null) {
                if (hour < 1 || hour > 12) {
                    throw new DateTimeException("hour " + hour + " with AM/PM");
                }
                hour = hour % 12 + (Character.toUpperCase(ampm.charAt(0)) == 'P' ? 12 : 0);
            }
            final String fraction = m.group(first + 3);
            final int nanos = fraction == null ? 0 : Integer.parseInt((fraction + "00000000").substring(0, 9));
            time = LocalTime.of(hour, Integer.parseInt(m.group(first + 1)),
                    m.group(first + 2) == null ? 0 : Integer.parseInt(m.group(first + 2)), nanos);
        }
        final String zone = m.group(first + 5);
        final ZoneOffset offset = zone == null || zone.equalsIgnoreCase("Z") || zone.equals("UTC") || zone.equals("GMT")
                ? ZoneOffset.UTC : ZoneOffset.of(zone);
        return LocalDateTime.of(date, time).toInstant(offset);
    }
}
