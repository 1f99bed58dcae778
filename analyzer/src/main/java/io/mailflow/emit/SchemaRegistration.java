package io.mailflow.emit;

import io.mailflow.serde.SchemaRegistries;
import io.mailflow.serde.SchemaRegistryClient;
import io.mailflow.serde.SchemaRegistryException;
import io.mailflow.serde.SerdeConfig;
import java.time.Duration;
import java.util.Map;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers (or, with {@code auto.register.schemas=false}, looks up) every value schema the
 * application writes before it writes anything, through the same shared, caching registry client
 * the serdes use. Afterwards a running topology needs the registry only for schemas it has never
 * seen (records written by another version): a registry that restarts or fails for a while costs
 * nothing, and nothing is decided about a record while the registry is unavailable.
 *
 * <p>A registry fault (unreachable, timeout, 429, 5xx) is waited out with backoff, up to the
 * patience given; an answer that is the registry's verdict (an incompatible schema, no
 * permission) fails at once, as it will not change by waiting.
 */
public final class SchemaRegistration {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistration.class);
    private static final Duration FIRST_WAIT = Duration.ofSeconds(1);
    private static final Duration MAX_WAIT = Duration.ofSeconds(30);

    private SchemaRegistration() {
    }

    /**
     * Registers every subject's schema; returns once all are known to the registry.
     *
     * @param patience how long a registry fault is waited out; null: until it is gone (or the thread is interrupted)
     * @throws SchemaRegistryException when the registry refuses a schema, or is still failing after {@code patience}
     */
    public static void registerAll(final Map<String, Object> serdeConfig, final Map<String, Schema> subjects, final Duration patience)
            throws InterruptedException {
        final SchemaRegistryClient registry = SchemaRegistries.fromConfig(serdeConfig);
        final boolean autoRegister = SerdeConfig.getBoolean(serdeConfig, SerdeConfig.AUTO_REGISTER_SCHEMAS, true);
        final boolean useLatest = SerdeConfig.getBoolean(serdeConfig, SerdeConfig.USE_LATEST_VERSION, false);
        final long deadline = patience == null ? Long.MAX_VALUE : System.nanoTime() + patience.toNanos();
        Duration wait = FIRST_WAIT;
        for (final Map.Entry<String, Schema> subject : subjects.entrySet()) {
            while (true) {
                try {
                    if (useLatest) {
                        registry.getLatest(subject.getKey());
                    } else if (autoRegister) {
                        registry.register(subject.getKey(), subject.getValue());
                    } else {
                        registry.getId(subject.getKey(), subject.getValue());
                    }
                    break;
                } catch (final SchemaRegistryException e) {
                    if (!e.isTransient() || System.nanoTime() + wait.toNanos() > deadline) {
                        throw new SchemaRegistryException("Cannot register the schema of subject " + subject.getKey() + " at "
                            + io.mailflow.config.Secrets.maskUrls(SerdeConfig.get(serdeConfig, SerdeConfig.SCHEMA_REGISTRY_URL)) + ": "
                            + io.mailflow.config.Secrets.maskUrls(e.getMessage()), e);
                    }
                    LOG.warn("The schema registry at {} is not available ({}); registering {} again in {} s",
                        io.mailflow.config.Secrets.maskUrls(SerdeConfig.get(serdeConfig, SerdeConfig.SCHEMA_REGISTRY_URL)),
                        io.mailflow.config.Secrets.maskUrls(e.getMessage()), subject.getKey(),
                        wait.toSeconds());
                    Thread.sleep(wait.toMillis());
                    wait = wait.multipliedBy(2).compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait.multipliedBy(2);
                }
            }
        }
        LOG.debug("{} value schemas registered", subjects.size());
    }
}
