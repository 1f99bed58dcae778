package io.mailflow.ingest;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * Classic syslog timestamps ("Mar  2 10:00:01") have no year. The first line of a file takes the
 * reference year when one is given; otherwise the year of "now", moved back a year if that would
 * put the line more than a day in the future (a December log read in January). After that the
 * year advances when the month jumps back by ten or more (Dec 31 → Jan 1, Nov → Jan across a
 * quiet holiday); smaller backward jumps are out-of-order lines and keep the year.
 */
final class SyslogYear {
    private final Integer referenceYear;
    private final ZonedDateTime now;
    private final ZoneId zone;
    private int year;
    private int previousMonth;

    SyslogYear(final Integer referenceYear, final ZonedDateTime now, final ZoneId zone) {
        this.referenceYear = referenceYear;
        this.now = now;
        this.zone = zone;
    }

    /** @throws DateTimeException for impossible dates such as Feb 30 */
    Instant resolve(final int month, final int day, final int hour, final int minute, final int second, final int nanos) {
        if (previousMonth == 0) {
            if (referenceYear != null) {
                year = referenceYear;
            } else {
                year = now.getYear();
                final ZonedDateTime candidate = LocalDateTime.of(year, month, Math.min(day, 28), hour, minute, second).atZone(zone);
                if (candidate.isAfter(now.plusDays(1))) {
                    year--;
                }
            }
        } else if (previousMonth - month >= 10) {
            year++;
        }
        final Instant at = LocalDateTime.of(year, month, day, hour, minute, second, nanos).atZone(zone).toInstant();
        previousMonth = month;
        return at;
    }
}
