package io.mailflow.ingest;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/**
 * Timestamps as Exchange and Exchange Online exports write them. Exports without a zone are UTC:
 * tracking logs, the extended report and the Reporting Web Service all log in UTC.
 */
final class Timestamps {
    private static final List<DateTimeFormatter> LOCAL_FORMATS = List.of(
            DateTimeFormatter.ISO_LOCAL_DATE_TIME,
            DateTimeFormatter.ofPattern("yyyy-MM-dd H:mm[:ss][.SSSSSSSSS][.SSSSSS][.SSS]", Locale.ROOT),
            // PowerShell Export-Csv under en-US: 3/2/2024 10:00:01 AM
            DateTimeFormatter.ofPattern("M/d/yyyy h:mm[:ss] a", Locale.ROOT),
            DateTimeFormatter.ofPattern("M/d/yyyy H:mm[:ss]", Locale.ROOT));

    private Timestamps() {
    }

    /** Parses ISO-8601 with or without zone, or the usual PowerShell export forms; null if none fits. */
    static Instant parseUtc(final String text) {
        if (text == null) {
            return null;
        }
        final String t = text.trim();
        if (t.isEmpty()) {
            return null;
        }
        if (t.endsWith("Z") || t.endsWith("z")) {
            try {
                return Instant.parse(t.toUpperCase(Locale.ROOT));
            } catch (final DateTimeParseException ignored) {
                // fall through to the other forms
            }
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (final DateTimeParseException ignored) {
            // not an offset form
        }
        for (final DateTimeFormatter f : LOCAL_FORMATS) {
            try {
                return LocalDateTime.parse(t.toUpperCase(Locale.ROOT), f).toInstant(ZoneOffset.UTC);
            } catch (final DateTimeParseException ignored) {
                // try the next form
            }
        }
        if (t.chars().allMatch(Character::isDigit) && t.length() >= 10 && t.length() <= 13) {
            return Instant.ofEpochMilli(Long.parseLong(t));
        }
        return null;
    }
}
