package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Whether the cluster answers, asked once before a command does anything else. Kafka's clients
 * retry an unreachable broker for their whole API timeout (a minute) and then report the operation
 * that timed out ("while creating topics"), not the address; a user who mistyped a host name
 * deserves the address, and soon.
 */
public final class KafkaReachability {
    private KafkaReachability() {
    }

    /**
     * Returns when the cluster at {@code bootstrap.servers} answers a describeCluster within
     * {@code mailflow.connect-timeout}; otherwise throws {@link Unreachable} naming the address.
     */
    public static void require(final MailflowConfig config) throws InterruptedException {
        final Duration timeout = config.getDuration(MailflowConfig.CONNECT_TIMEOUT, Duration.ofSeconds(15));
        final String address = config.get("bootstrap.servers");
        final Map<String, Object> props = new HashMap<>(config.kafkaProperties());
        final int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        final Admin admin;
        try {
            admin = Admin.create(props);
        } catch (final org.apache.kafka.common.KafkaException e) {
            // no bootstrap address resolves: the client refuses to start at all
            throw new Unreachable(address, rootMessage(e));
        }
        try {
            admin.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final TimeoutException e) {
            throw new Unreachable(address, "timed out after " + seconds(timeout));
        } catch (final ExecutionException e) {
            final Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof org.apache.kafka.common.errors.AuthenticationException
                || cause instanceof org.apache.kafka.common.errors.AuthorizationException) {
                throw (org.apache.kafka.common.KafkaException) cause; // it answered: the CLI names the principal
            }
            throw new Unreachable(address, cause instanceof org.apache.kafka.common.errors.TimeoutException
                ? "timed out after " + seconds(timeout) : cause.getMessage());
        } finally {
            admin.close(Duration.ZERO);
        }
    }

    private static String rootMessage(final Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    private static String seconds(final Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** "cannot reach Kafka at HOST:PORT (timed out after 15 s)". */
    public static final class Unreachable extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        Unreachable(final String address, final String why) {
            super("cannot reach Kafka at " + address + " (" + why + ")");
        }
    }
}
