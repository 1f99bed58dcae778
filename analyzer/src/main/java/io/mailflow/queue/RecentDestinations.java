package io.mailflow.queue;

import java.util.ArrayList;
import java.util.List;

/**
 * The most recently attempted destinations of a connector, bounded: two parallel lists (names,
 * last attempt times), latest first, ties by name. One rule for a partition's list and for the
 * merge of all partitions' lists: because every partition keeps its own latest N, the latest N
 * of their union are the connector's latest N, whatever order the partitions report in.
 */
public final class RecentDestinations {
    private final List<String> names;
    private final List<Long> times;
    private final int max;

    public RecentDestinations(final List<String> names, final List<Long> times, final int max) {
        this.names = new ArrayList<>(names);
        this.times = new ArrayList<>(times);
        // lists written before times were kept: count them as attempted at the epoch
        while (this.times.size() < this.names.size()) {
            this.times.add(0L);
        }
        this.max = max;
    }

    public static RecentDestinations empty(final int max) {
        return new RecentDestinations(List.of(), List.of(), max);
    }

    /** Notes an attempt to {@code destination} at {@code time}; false when the list did not change. */
    public boolean note(final String destination, final long time) {
        if (destination == null || destination.isEmpty()) {
            return false;
        }
        final int at = names.indexOf(destination);
        if (at >= 0) {
            if (times.get(at) >= time) {
                return false;
            }
            names.remove(at);
            times.remove(at);
        }
        int i = 0;
        while (i < names.size() && (times.get(i) > time || times.get(i) == time && names.get(i).compareTo(destination) < 0)) {
            i++;
        }
        if (i >= max) {
            return at >= 0; // older than every kept one: only changed if it was kept before
        }
        names.add(i, destination);
        times.add(i, time);
        while (names.size() > max) {
            names.remove(names.size() - 1);
            times.remove(times.size() - 1);
        }
        return true;
    }

    public void addAll(final List<String> otherNames, final List<Long> otherTimes) {
        for (int i = 0; i < otherNames.size(); i++) {
            note(otherNames.get(i), i < otherTimes.size() ? otherTimes.get(i) : 0L);
        }
    }

    public List<String> names() {
        return names;
    }

    public List<Long> times() {
        return times;
    }
}
