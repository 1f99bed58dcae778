package io.mailflow.serde;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.avro.Schema;

/**
 * Caches what a registry never changes — schemas by id, ids by (subject, schema) — for the life
 * of the client, and a subject's latest version for {@code latest.cache.ttl.sec} (Confluent's
 * key; negative keeps it until restart, 0 does not cache). Compatibility checks and config calls
 * always go to the registry. Thread-safe; two threads missing the same key at once may both ask
 * the registry, which is harmless as the answers are equal.
 */
public final class CachingSchemaRegistryClient implements SchemaRegistryClient {
    private final SchemaRegistryClient delegate;
    private final long latestTtlNanos;
    private final LongSupplier nanoClock;
    private final Map<Integer, Schema> schemaById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> idBySubjectAndSchema = new ConcurrentHashMap<>();
    private final Map<String, Latest> latestBySubject = new ConcurrentHashMap<>();

    private record Latest(RegisteredSchema schema, long fetchedAtNanos) {
    }

    /** {@code latestTtl} null keeps latest versions until restart. */
    public CachingSchemaRegistryClient(final SchemaRegistryClient delegate, final Duration latestTtl) {
        this(delegate, latestTtl, System::nanoTime);
    }

    CachingSchemaRegistryClient(final SchemaRegistryClient delegate, final Duration latestTtl, final LongSupplier nanoClock) {
        this.delegate = delegate;
        this.latestTtlNanos = latestTtl == null ? -1 : latestTtl.toNanos();
        this.nanoClock = nanoClock;
    }

    /** The TTL of {@code latest.cache.ttl.sec}: null (forever) when negative or unset. */
    public static Duration latestTtl(final Map<String, ?> configs) {
        final long seconds = SerdeConfig.getLong(configs, SerdeConfig.LATEST_CACHE_TTL_SEC, -1);
        return seconds < 0 ? null : Duration.ofSeconds(seconds);
    }

    public SchemaRegistryClient delegate() {
        return delegate;
    }

    @Override
    public int register(final String subject, final Schema schema) {
        final Map<Schema, Integer> ids = idsOf(subject);
        final Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        final int id = delegate.register(subject, schema);
        ids.put(schema, id);
        schemaById.putIfAbsent(id, schema);
        // the subject may have a new latest version now
        latestBySubject.remove(subject);
        return id;
    }

    @Override
    public int getId(final String subject, final Schema schema) {
        final Map<Schema, Integer> ids = idsOf(subject);
        final Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        final int id = delegate.getId(subject, schema);
        ids.put(schema, id);
        schemaById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public Schema getById(final int id) {
        final Schema cached = schemaById.get(id);
        if (cached != null) {
            return cached;
        }
        final Schema schema = delegate.getById(id);
        schemaById.put(id, schema);
        return schema;
    }

    @Override
    public RegisteredSchema getLatest(final String subject) {
        if (latestTtlNanos == 0) {
            return delegate.getLatest(subject);
        }
        final Latest cached = latestBySubject.get(subject);
        final long now = nanoClock.getAsLong();
        if (cached != null && (latestTtlNanos < 0 || now - cached.fetchedAtNanos() < latestTtlNanos)) {
            return cached.schema();
        }
        final RegisteredSchema latest = delegate.getLatest(subject);
        latestBySubject.put(subject, new Latest(latest, now));
        schemaById.putIfAbsent(latest.id(), latest.schema());
        return latest;
    }

    @Override
    public boolean testCompatibility(final String subject, final Schema schema) {
        return delegate.testCompatibility(subject, schema);
    }

    @Override
    public String getCompatibility(final String subject) {
        return delegate.getCompatibility(subject);
    }

    @Override
    public void setCompatibility(final String subject, final String level) {
        delegate.setCompatibility(subject, level);
    }

    @Override
    public void close() {
        delegate.close();
    }

    private Map<Schema, Integer> idsOf(final String subject) {
        return idBySubjectAndSchema.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
    }

    @Override
    public String toString() {
        return "Caching(" + delegate + ")";
    }
}
