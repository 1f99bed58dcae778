package io.mailflow.state;

import java.util.function.Supplier;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * An unlogged window store and the {@link BatchChangelog} that is its changelog, as a processor
 * uses them: reads go to the window store, every put goes to both. Only the calls mailflow's
 * processors make, so no write can bypass the log.
 *
 * <p>The window store holds the serialized keys and values: a put serializes once, for the store
 * and the log alike (twice cost 3 % of the stream threads in the bench), and a task start puts
 * the logged bytes back as they are. The bytes are what a typed store would hold (the same serdes
 * and subject), so local state written before is read the same.
 */
public final class LoggedWindow<K, V> {
    private final WindowStore<Bytes, byte[]> window;
    private final BatchChangelog<K, V> log;

    LoggedWindow(final WindowStore<Bytes, byte[]> window, final BatchChangelog<K, V> log) {
        this.window = window;
        this.log = log;
    }

    public void put(final K key, final V value, final long time) {
        final byte[] k = log.keyBytes(key);
        final byte[] v = log.valueBytes(value);
        window.put(Bytes.wrap(k), v, time);
        log.append(k, v, time);
    }

    /**
     * Puts the value {@code value} supplies at exactly {@code time} unless the key has one there
     * already; true when it put. The key is serialized once for the lookup and the put.
     */
    public boolean putIfAbsent(final K key, final long time, final Supplier<V> value) {
        final byte[] k = log.keyBytes(key);
        final Bytes wrapped = Bytes.wrap(k);
        if (window.fetch(wrapped, time) != null) {
            return false;
        }
        final byte[] v = log.valueBytes(value.get());
        window.put(wrapped, v, time);
        log.append(k, v, time);
        return true;
    }

    /** The key's values from {@code from} to {@code to}, by time; close the iterator. */
    public WindowStoreIterator<V> fetch(final K key, final long from, final long to) {
        final WindowStoreIterator<byte[]> raw = window.fetch(Bytes.wrap(log.keyBytes(key)), from, to);
        return new WindowStoreIterator<>() {
            @Override
            public boolean hasNext() {
                return raw.hasNext();
            }

            @Override
            public KeyValue<Long, V> next() {
                final KeyValue<Long, byte[]> entry = raw.next();
                return KeyValue.pair(entry.key, log.value(entry.value));
            }

            @Override
            public Long peekNextKey() {
                return raw.peekNextKey();
            }

            @Override
            public void close() {
                raw.close();
            }
        };
    }
}
