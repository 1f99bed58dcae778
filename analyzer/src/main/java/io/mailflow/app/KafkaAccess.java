package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * Authorization and authentication failures said the way a user can act on them: which topic,
 * group or transactional id, as which principal, and where the ACLs mailflow needs are written
 * down. Kafka's own messages ("Not authorized to access topics: [mailflow.traces]") name neither
 * the principal nor what to ask for; a stack trace buries both.
 */
public final class KafkaAccess {
    static final String ACLS = "ask for the ACLs in deploy/kubernetes/base/kafka-users.yaml (docs/deploy.md, \"Secure connections\")";
    private static final Pattern USERNAME = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");
    /** The configuration the running command resolved last; the CLI's error handler names its principal. */
    private static volatile MailflowConfig current;

    private KafkaAccess() {
    }

    static void remember(final MailflowConfig config) {
        current = config;
    }

    /** A message for an access failure anywhere in {@code error}'s causes, or null when it is not one. */
    static String explain(final Throwable error) {
        final MailflowConfig config = current;
        return explain(error, config == null ? Map.of() : config.kafkaProperties());
    }

    static String explain(final Throwable error, final Map<String, ?> kafka) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthorizationException || t instanceof AuthenticationException) {
                return explainOne(t, principal(kafka));
            }
        }
        return null;
    }

    private static String explainOne(final Throwable t, final String who) {
        if (t instanceof TopicAuthorizationException e) {
            final String topics = e.unauthorizedTopics().isEmpty() ? "" : String.join(", ", new java.util.TreeSet<>(e.unauthorizedTopics()));
            final String what = t.getMessage() != null && t.getMessage().startsWith("not authorized to") ? t.getMessage()
                : "not authorized to use topic " + topics;
            return what + " as " + who + ": " + ACLS;
        }
        if (t instanceof GroupAuthorizationException e) {
            return "not authorized to use consumer group " + (e.groupId() == null ? "(" + t.getMessage() + ")" : e.groupId())
                + " as " + who + ": " + ACLS;
        }
        if (t instanceof TransactionalIdAuthorizationException) {
            return "not authorized to use the transactional id (" + t.getMessage() + ") as " + who + ": " + ACLS;
        }
        if (t instanceof ClusterAuthorizationException) {
            return "not authorized for this cluster operation (" + t.getMessage() + ") as " + who + ": " + ACLS;
        }
        if (t instanceof AuthorizationException) {
            return "not authorized (" + t.getMessage() + ") as " + who + ": " + ACLS;
        }
        return "Kafka refused to authenticate " + who + " (" + t.getMessage() + "): check security.protocol, sasl.mechanism, "
            + "sasl.jaas.config or the client certificate (ssl.keystore.location), and the truststore";
    }

    /** "user mailflow (SASL_SSL, SCRAM-SHA-512)", "the certificate in /etc/mailflow/client.p12 (SSL)", ... Never a secret. */
    static String principal(final Map<String, ?> kafka) {
        final String protocol = string(kafka.get("security.protocol"), "PLAINTEXT");
        if (protocol.toUpperCase(java.util.Locale.ROOT).startsWith("SASL")) {
            final String mechanism = string(kafka.get("sasl.mechanism"), "GSSAPI");
            final Matcher m = USERNAME.matcher(string(kafka.get("sasl.jaas.config"), ""));
            return (m.find() ? "user " + m.group(1) : "the user of sasl.jaas.config") + " (" + protocol + ", " + mechanism + ")";
        }
        if (protocol.equalsIgnoreCase("SSL")) {
            final String keystore = string(kafka.get("ssl.keystore.location"), null);
            return keystore == null ? "an SSL client without a certificate (no ssl.keystore.location)"
                : "the certificate in " + keystore + " (SSL)";
        }
        return "an anonymous client (" + protocol + ")";
    }

    private static String string(final Object value, final String fallback) {
        return value == null || value.toString().isBlank() ? fallback : value.toString().trim();
    }
}
