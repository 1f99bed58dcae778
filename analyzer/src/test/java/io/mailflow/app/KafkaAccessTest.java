package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.junit.jupiter.api.Test;

class KafkaAccessTest {
    private static final Map<String, Object> SCRAM = Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
        "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"mailflow\" password=\"hunter2\";");

    @Test
    void topicDeniedNamesTopicPrincipalAndTheAcls() {
        final String message = KafkaAccess.explain(new ExecutionException(new TopicAuthorizationException(Set.of("mailflow.traces"))), SCRAM);
        assertEquals("not authorized to use topic mailflow.traces as user mailflow (SASL_SSL, SCRAM-SHA-512): " + KafkaAccess.ACLS, message);
        assertFalse(message.contains("hunter2"));
    }

    @Test
    void groupTransactionalIdAndLogin() {
        assertTrue(KafkaAccess.explain(new GroupAuthorizationException("denied", "mailflow"), SCRAM)
            .startsWith("not authorized to use consumer group mailflow as user mailflow"));
        assertTrue(KafkaAccess.explain(new IllegalStateException(new TransactionalIdAuthorizationException("Transactional Id authorization failed.")), SCRAM)
            .startsWith("not authorized to use the transactional id"));
        final String login = KafkaAccess.explain(new SaslAuthenticationException("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"), SCRAM);
        assertTrue(login.startsWith("Kafka refused to authenticate user mailflow (SASL_SSL, SCRAM-SHA-512)"), login);
    }

    @Test
    void principals() {
        assertEquals("the certificate in /etc/c.p12 (SSL)", KafkaAccess.principal(Map.of("security.protocol", "SSL", "ssl.keystore.location", "/etc/c.p12")));
        assertEquals("an anonymous client (PLAINTEXT)", KafkaAccess.principal(Map.of()));
        assertEquals("the user of sasl.jaas.config (SASL_PLAINTEXT, GSSAPI)", KafkaAccess.principal(Map.of("security.protocol", "SASL_PLAINTEXT")));
    }

    @Test
    void otherErrorsAreNotAccessProblems() {
        assertNull(KafkaAccess.explain(new IllegalStateException("boom"), SCRAM));
    }
}
