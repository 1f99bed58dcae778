package io.mailflow.state;

import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * An unlogged window store and the {@link WindowBatchLog} that is its changelog, as a processor
 * uses them: reads go to the window store, every put goes to both. Only the calls mailflow's
 * processors make, so no write can bypass the log.
 */
public final class LoggedWindow<K, V> {
    private final WindowStore<K, V> window;
    private final WindowBatchLog<K, V> log;

    LoggedWindow(final WindowStore<K, V> window, final WindowBatchLog<K, V> log) {
        this.window = window;
        this.log = log;
    }

    public void put(final K key, final V value, final long time) {
        window.put(key, value, time);
        log.append(key, value, time);
    }

    /** The value at exactly {@code time}, or null. */
    public V fetch(final K key, final long time) {
        return window.fetch(key, time);
    }

    /** The key's values from {@code from} to {@code to}, by time; close the iterator. */
    public WindowStoreIterator<V> fetch(final K key, final long from, final long to) {
        return window.fetch(key, from, to);
    }
}
