package io.mailflow.serde;

import java.io.Closeable;
import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry API that mailflow uses. Implementations: an
 * in-memory registry for {@code mock://scope} URLs and a REST client for real registries.
 * Subjects follow the TopicNameStrategy ({@code <topic>-key}, {@code <topic>-value}).
 */
public interface SchemaRegistryClient extends Closeable {

    /** Registers the schema under the subject (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** Looks up the id of a schema already registered under the subject; fails with 40403 if absent. */
    int getId(String subject, Schema schema);

    /** The schema with this global id. */
    Schema getById(int id);

    /** The latest version registered under the subject. */
    RegisteredSchema getLatest(String subject);

    /** Whether the schema may be registered under the subject given its compatibility level. */
    boolean testCompatibility(String subject, Schema schema);

    /** The compatibility level of the subject, or the global one when subject is null. */
    String getCompatibility(String subject);

    /** Sets the compatibility level of the subject, or the global one when subject is null. */
    void setCompatibility(String subject, String level);

    @Override
    default void close() {
    }

    /** A schema as the registry stores it under a subject. */
    record RegisteredSchema(String subject, int version, int id, Schema schema) {
    }
}
