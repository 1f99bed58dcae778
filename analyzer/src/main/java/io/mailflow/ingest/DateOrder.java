package io.mailflow.ingest;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The order of day, month and year in the numeric dates of an Exchange Online CSV export.
 * PowerShell's {@code Export-Csv} writes DateTime values in the culture of the machine that ran
 * it: en-US {@code 3/2/2026 10:00:00 AM}, en-GB and fr-FR {@code 02/03/2026 10:00:00}, de-DE
 * {@code 02.03.2026 10:00:00}, nl-NL {@code 2-3-2026 10:00:00}, sv-SE {@code 2026-03-02 10:00:00}.
 * Nothing in such a value says which of its first two fields is the day; the file as a whole
 * does ({@link ExportDates}), or the user does ({@code replay --date-format}).
 */
public enum DateOrder {
    /** d/M/yyyy, d.M.yyyy, d-M-yyyy. */
    DAY_FIRST("dmy", "day/month/year"),
    /** M/d/yyyy. */
    MONTH_FIRST("mdy", "month/day/year"),
    /** yyyy-M-d (and ISO-8601): never ambiguous; numeric day/month dates are refused. */
    YEAR_FIRST("ymd", "year-month-day");

    /** Culture names as written, in the order --help lists them, with the order of their short date pattern. */
    private static final Map<String, DateOrder> CULTURE_NAMES = cultureNames();
    /** The same, keyed in lower case for {@link #fromOption}. */
    private static final Map<String, DateOrder> CULTURES = cultures();

    private final String id;
    private final String description;

    DateOrder(final String id, final String description) {
        this.id = id;
        this.description = description;
    }

    /** {@code dmy}, {@code mdy} or {@code ymd}: what {@code --date-format} takes. */
    public String id() {
        return id;
    }

    /** "day/month/year", for messages. */
    public String description() {
        return description;
    }

    /**
     * {@code dmy}, {@code mdy}, {@code ymd}, or the name of the culture the export was written in
     * ({@code en-US}, {@code en-GB}, {@code de-DE}, ..., {@code ISO}), any case.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static DateOrder fromOption(final String value) {
        final String wanted = value == null ? "" : value.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (final DateOrder order : values()) {
            if (order.id.equals(wanted)) {
                return order;
            }
        }
        final DateOrder culture = CULTURES.get(wanted);
        if (culture == null) {
            throw new IllegalArgumentException("unknown date format '" + value + "', expected one of: " + accepted());
        }
        return culture;
    }

    /** The values {@link #fromOption} accepts, for --help and error messages. */
    public static String accepted() {
        return "dmy, mdy, ymd, or a culture: " + CULTURE_NAMES.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue().id + ")")
                .collect(Collectors.joining(", "));
    }

    private static Map<String, DateOrder> cultureNames() {
        final Map<String, DateOrder> m = new LinkedHashMap<>();
        m.put("en-US", MONTH_FIRST);
        for (final String dmy : new String[] {"en-GB", "fr-FR", "de-DE", "nl-NL", "es-ES", "it-IT"}) {
            m.put(dmy, DAY_FIRST);
        }
        m.put("sv-SE", YEAR_FIRST);
        m.put("ISO", YEAR_FIRST);
        return m;
    }

    private static Map<String, DateOrder> cultures() {
        final Map<String, DateOrder> m = new LinkedHashMap<>();
        CULTURE_NAMES.forEach((name, order) -> m.put(name.toLowerCase(Locale.ROOT), order));
        return m;
    }
}
