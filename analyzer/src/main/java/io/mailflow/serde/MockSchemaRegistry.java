package io.mailflow.serde;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * In-memory registry behind {@code mock://scope} URLs, as in Confluent's convention: every
 * serde configured with the same scope shares one registry in this JVM. For unit tests and
 * the embedded demo; {@link #dropScope(String)} forgets a scope.
 */
public final class MockSchemaRegistry implements SchemaRegistryClient {
    private static final Map<String, MockSchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    private final Map<Integer, Schema> byId = new HashMap<>();
    private final Map<String, Integer> idByCanonical = new HashMap<>();
    private final Map<String, List<Integer>> versionsBySubject = new HashMap<>();
    private final Map<String, String> compatibility = new HashMap<>();
    private String globalCompatibility = "BACKWARD";
    private int nextId = 1;

    private MockSchemaRegistry() {
    }

    /** The registry of this scope, created on first use. */
    public static MockSchemaRegistry forScope(final String scope) {
        return SCOPES.computeIfAbsent(scope, s -> new MockSchemaRegistry());
    }

    public static void dropScope(final String scope) {
        SCOPES.remove(scope);
    }

    /** Every subject with at least one version, as Confluent's mock client's getAllSubjects(). */
    public synchronized java.util.SortedSet<String> subjects() {
        return new java.util.TreeSet<>(versionsBySubject.keySet());
    }

    @Override
    public synchronized int register(final String subject, final Schema schema) {
        final String canonical = schema.toString();
        final List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        final Integer existing = idByCanonical.get(canonical);
        if (existing != null && versions.contains(existing)) {
            return existing;
        }
        if (!isCompatible(subject, schema)) {
            throw new SchemaRegistryException(409, 409,
                "Schema being registered is incompatible with an earlier schema for subject \"" + subject + "\"");
        }
        final int id = existing != null ? existing : nextId++;
        byId.put(id, schema);
        idByCanonical.put(canonical, id);
        versions.add(id);
        return id;
    }

    @Override
    public synchronized int getId(final String subject, final Schema schema) {
        final Integer id = idByCanonical.get(schema.toString());
        final List<Integer> versions = versionsBySubject.get(subject);
        if (versions == null) {
            throw new SchemaRegistryException(404, 40401, "Subject '" + subject + "' not found.");
        }
        if (id == null || !versions.contains(id)) {
            throw new SchemaRegistryException(404, 40403, "Schema not found");
        }
        return id;
    }

    @Override
    public synchronized Schema getById(final int id) {
        final Schema schema = byId.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(404, 40403, "Schema " + id + " not found");
        }
        return schema;
    }

    @Override
    public synchronized RegisteredSchema getLatest(final String subject) {
        final List<Integer> versions = versionsBySubject.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw new SchemaRegistryException(404, 40401, "Subject '" + subject + "' not found.");
        }
        final int id = versions.get(versions.size() - 1);
        return new RegisteredSchema(subject, versions.size(), id, byId.get(id));
    }

    @Override
    public synchronized boolean testCompatibility(final String subject, final Schema schema) {
        return isCompatible(subject, schema);
    }

    @Override
    public synchronized String getCompatibility(final String subject) {
        return subject == null ? globalCompatibility : compatibility.getOrDefault(subject, globalCompatibility);
    }

    @Override
    public synchronized void setCompatibility(final String subject, final String level) {
        if (subject == null) {
            globalCompatibility = level;
        } else {
            compatibility.put(subject, level);
        }
    }

    private boolean isCompatible(final String subject, final Schema candidate) {
        final List<Integer> versions = versionsBySubject.get(subject);
        if (versions == null || versions.isEmpty()) {
            return true;
        }
        final String level = getCompatibility(subject);
        final boolean transitive = level.endsWith("_TRANSITIVE");
        final List<Integer> against = transitive ? versions : List.of(versions.get(versions.size() - 1));
        for (final int id : against) {
            final Schema previous = byId.get(id);
            final boolean backward = SchemaCompatibility.checkReaderWriterCompatibility(candidate, previous)
                .getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
            final boolean forward = SchemaCompatibility.checkReaderWriterCompatibility(previous, candidate)
                .getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
            final boolean ok = switch (level.replace("_TRANSITIVE", "")) {
                case "NONE" -> true;
                case "BACKWARD" -> backward;
                case "FORWARD" -> forward;
                case "FULL" -> backward && forward;
                default -> throw new SchemaRegistryException(422, 42203, "Invalid compatibility level " + level);
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
