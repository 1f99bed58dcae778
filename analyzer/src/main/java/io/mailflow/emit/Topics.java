package io.mailflow.emit;

import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.serde.SpecificAvroSerde;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * All of mailflow's topics and their serdes, configured in one place. Keys are plain strings
 * (message key for traces and NDRs, connector for alerts and stats) so any consumer can read
 * them; values are Avro in the Confluent wire format.
 */
public final class Topics {
    private final Map<String, Object> serdeConfig;
    /** Internal topic name without the application id prefix -> its value type. */
    private final Map<String, Class<? extends SpecificRecord>> internalValueTypes = new TreeMap<>();
    public final Topic<String, MessageTrace> traces;
    public final Topic<String, ConnectorAlert> alerts;
    public final Topic<String, NonDeliveryReport> ndr;
    public final Topic<String, DelayNotice> delays;
    public final Topic<String, ConnectorStats> connectorStats;
    public final Topic<String, DeadLetter> deadLetters;
    /**
     * Log lines as shippers send them (rsyslog, Vector, Fluent Bit, Filebeat): UTF-8 text, a JSON
     * envelope or the line itself, keyed by host. Not Avro, so not among {@link #all()}.
     */
    public final Topic<String, String> rawLines;

    public Topics(final MailflowConfig config) {
        this.serdeConfig = new HashMap<>(config.kafkaProperties());
        this.traces = topic(config.get("mailflow.topic.traces"), MessageTrace.class);
        this.alerts = topic(config.get("mailflow.topic.alerts"), ConnectorAlert.class);
        this.ndr = topic(config.get("mailflow.topic.ndr"), NonDeliveryReport.class);
        this.delays = topic(config.get("mailflow.topic.delays"), DelayNotice.class);
        this.connectorStats = topic(config.get("mailflow.topic.connector-stats"), ConnectorStats.class);
        this.deadLetters = topic(config.get("mailflow.topic.dead-letters"), DeadLetter.class);
        this.rawLines = new Topic<>(config.get("mailflow.topic.raw-lines"), Serdes.String(), Serdes.String());
    }

    /** The Avro output and input topics, in the order users read about them (raw lines aside: text). */
    public List<Topic<String, ? extends SpecificRecord>> all() {
        return List.of(traces, alerts, ndr, delays, connectorStats, deadLetters);
    }

    /** The Avro value serde of state store {@code store}: its changelog's subject is registered up front ({@link #valueSubjects}). */
    public <T extends SpecificRecord> Serde<T> storeValues(final String store, final Class<T> type) {
        internalValueTypes.put(store + "-changelog", type);
        return avro(type);
    }

    /** The Avro value serde of repartition topic {@code name}: its subject is registered up front ({@link #valueSubjects}). */
    public <T extends SpecificRecord> Serde<T> repartitionValues(final String name, final Class<T> type) {
        internalValueTypes.put(name + "-repartition", type);
        return avro(type);
    }

    /**
     * Every value subject the application writes, with its schema: the topics' ({@code <topic>-value})
     * and those of the internal topics of the stores and repartitions declared through these Topics
     * ({@code <application.id>-<name>-changelog-value}, {@code ...-repartition-value}), so all can
     * be registered once at start-up ({@link SchemaRegistration}).
     */
    public Map<String, Schema> valueSubjects(final String applicationId) {
        final Map<String, Schema> subjects = new TreeMap<>();
        for (final Topic<String, ? extends SpecificRecord> topic : all()) {
            subjects.put(topic.name() + "-value", ((SpecificAvroSerde<?>) topic.valueSerde()).schema());
        }
        internalValueTypes.forEach((internal, type) ->
            subjects.put(applicationId + "-" + internal + "-value", SpecificData.get().getSchema(type)));
        return subjects;
    }

    /** A value serde for any Avro record, configured like the topics' serdes (prefer {@link #storeValues}, {@link #repartitionValues}). */
    public <T extends SpecificRecord> Serde<T> avro(final Class<T> type) {
        final SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type);
        serde.configure(serdeConfig, false);
        return serde;
    }

    public Map<String, Object> serdeConfig() {
        return serdeConfig;
    }

    private <T extends SpecificRecord> Topic<String, T> topic(final String name, final Class<T> type) {
        return new Topic<>(name, Serdes.String(), avro(type));
    }
}
