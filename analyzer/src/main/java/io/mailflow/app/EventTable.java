package io.mailflow.app;

import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.NonDeliveryReport;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Renders the analyzer's output as tables a person reads in a terminal (the demo and replay summaries). */
public final class EventTable {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MM-dd HH:mm").withZone(ZoneOffset.UTC);
    private static final int MAX_ROWS = 15;

    private final PrintWriter out;

    public EventTable(final PrintWriter out) {
        this.out = out;
    }

    /** FIRING and RESOLVED rows; UPDATED ones are counted per alert rather than listed (one every 5 min). */
    public void alerts(final List<ConnectorAlert> read) {
        final List<ConnectorAlert> alerts = inOrder(read, ConnectorAlert::getEventTime);
        final Map<String, Long> updates = new LinkedHashMap<>();
        alerts.stream().filter(a -> a.getState() == io.mailflow.avro.AlertState.UPDATED)
            .forEach(a -> updates.merge(a.getAlertId(), 1L, Long::sum));
        final List<ConnectorAlert> transitions = alerts.stream()
            .filter(a -> a.getState() != io.mailflow.avro.AlertState.UPDATED)
            .toList();
        heading("Alerts (" + transitions.size() + " fired or resolved, " + (alerts.size() - transitions.size())
            + " updates not listed)", alerts.size());
        row("%-11s  %-8s  %-17s  %-24s  %-7s  %s", "TIME (UTC)", "STATE", "TYPE", "CONNECTOR", "CODE", "SUMMARY");
        transitions.stream().limit(MAX_ROWS * 2L)
            .forEach(a -> row("%-11s  %-8s  %-17s  %-24s  %-7s  %s", time(a.getEventTime()), a.getState(), a.getType(),
                cut(a.getConnectorId(), 24), a.getStatusCode() == null ? "-" : a.getStatusCode(),
                a.getSummary() + (a.getState() == io.mailflow.avro.AlertState.RESOLVED
                    ? " [" + updates.getOrDefault(a.getAlertId(), 0L) + " updates while firing]" : "")));
        more(transitions.size(), MAX_ROWS * 2);
    }

    public void ndrs(final List<NonDeliveryReport> read) {
        final List<NonDeliveryReport> ndrs = inOrder(read, NonDeliveryReport::getEventTime);
        heading("Non-delivery reports", ndrs.size());
        final Map<String, Long> byReason = new LinkedHashMap<>();
        ndrs.forEach(n -> byReason.merge(n.getReason() + " " + n.getStatus(), 1L, Long::sum));
        byReason.forEach((k, v) -> row("  %6d  %s", v, k));
        row("%-11s  %-17s  %-32s  %-7s  %s", "TIME (UTC)", "REASON", "RECIPIENT", "STATUS", "CONNECTOR");
        ndrs.stream().limit(MAX_ROWS)
            .forEach(n -> row("%-11s  %-17s  %-32s  %-7s  %s", time(n.getEventTime()), n.getReason(),
                cut(n.getFinalRecipient(), 32), n.getStatus(), n.getConnectorId() == null ? "-" : n.getConnectorId()));
        more(ndrs.size(), MAX_ROWS);
    }

    public void delays(final List<DelayNotice> read) {
        final List<DelayNotice> delays = inOrder(read, DelayNotice::getEventTime);
        heading("Delay notices", delays.size());
        row("%-11s  %-32s  %-7s  %-24s  %s", "TIME (UTC)", "RECIPIENT", "STATUS", "CONNECTOR", "RETRY UNTIL");
        delays.stream().limit(MAX_ROWS)
            .forEach(d -> row("%-11s  %-32s  %-7s  %-24s  %s", time(d.getEventTime()), cut(d.getFinalRecipient(), 32),
                d.getStatus(), cut(d.getConnectorId() == null ? "-" : d.getConnectorId(), 24), time(d.getWillRetryUntil())));
        more(delays.size(), MAX_ROWS);
    }

    public void stats(final List<ConnectorStats> read) {
        final List<ConnectorStats> stats = inOrder(read, ConnectorStats::getWindowStart);
        heading("Connector statistics (closed windows)", stats.size());
        final Map<String, long[]> byConnector = new LinkedHashMap<>();
        stats.forEach(s -> {
            final long[] t = byConnector.computeIfAbsent(s.getConnectorId(), k -> new long[2]);
            t[0] += s.getDeliveries();
            t[1] += s.getFailures();
        });
        row("%-32s  %10s  %10s", "CONNECTOR", "DELIVERED", "FAILED");
        byConnector.forEach((c, t) -> row("%-32s  %10d  %10d", cut(c, 32), t[0], t[1]));
    }

    public void deadLetters(final List<DeadLetter> read) {
        final List<DeadLetter> letters = inOrder(read, DeadLetter::getEventTime);
        heading("Dead letters", letters.size());
        letters.stream().limit(MAX_ROWS).forEach(d -> row("  %-40s  %s", cut(d.getSource(), 40), cut(d.getReason(), 100)));
        more(letters.size(), MAX_ROWS);
    }

    /**
     * The records by their time, then their content: the same rows in the same order however the
     * records were spread over partitions and read back (the files of --out are ordered likewise).
     */
    private static <T> List<T> inOrder(final List<T> records, final Function<T, Instant> time) {
        return records.stream().sorted(Comparator.comparing(time).thenComparing(Object::toString)).toList();
    }

    private void heading(final String title, final int count) {
        out.println();
        out.printf("== %s: %d%n", title, count);
    }

    private void row(final String format, final Object... args) {
        out.printf(format + "%n", args);
    }

    private void more(final int total, final int shown) {
        if (total > shown) {
            out.printf("  ... %d more%n", total - shown);
        }
        out.flush();
    }

    private static String time(final Instant instant) {
        return instant == null ? "-" : TIME.format(instant);
    }

    private static String cut(final String s, final int width) {
        if (s == null) {
            return "-";
        }
        return s.length() <= width ? s : s.substring(0, width - 1) + "…";
    }
}
