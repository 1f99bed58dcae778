package io.mailflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretsTest {
    @Test
    void secretKeysAreMasked() {
        for (final String key : new String[] {"sasl.jaas.config", "ssl.keystore.password", "ssl.truststore.password", "ssl.key.password",
            "basic.auth.user.info", "schema.registry.basic.auth.user.info", "bearer.auth.token", "ssl.keystore.key",
            "sasl.oauthbearer.client.secret", "sasl.login.callback.secret"}) {
            assertTrue(Secrets.isSecret(key), key);
            assertEquals(Secrets.MASK, Secrets.mask(key, "s3cr3t"), key);
        }
    }

    @Test
    void ordinarySettingsAreShownAsTheyAre() {
        for (final String key : new String[] {"bootstrap.servers", "security.protocol", "sasl.mechanism", "ssl.keystore.location",
            "ssl.truststore.type", "default.key.serde", "application.id", "mailflow.topic.traces", "basic.auth.credentials.source"}) {
            assertFalse(Secrets.isSecret(key), key);
            assertEquals("value", Secrets.mask(key, "value"), key);
        }
    }

    @Test
    void aReferenceToASecretFileMayBeShownButNotAValueAroundIt() {
        assertEquals("${file:/etc/mailflow/secrets.properties:password}",
            Secrets.mask("ssl.keystore.password", "${file:/etc/mailflow/secrets.properties:password}"));
        assertEquals(Secrets.MASK, Secrets.mask("sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"${file:/s:p}\";"));
    }

    @Test
    void userInfoOfUrlsIsRemoved() {
        assertEquals("http://***@registry:8081,https://***@other:8081/apis",
            Secrets.mask("schema.registry.url", "http://user:pw@registry:8081,https://u:p@other:8081/apis"));
        assertEquals("cannot reach http://***@registry:8081 (refused)", Secrets.maskUrls("cannot reach http://user:pw@registry:8081 (refused)"));
        assertEquals("http://registry:8081", Secrets.maskUrls("http://registry:8081"));
    }

    @Test
    void maskedKeepsOrder() {
        final Map<String, Object> in = new LinkedHashMap<>();
        in.put("b", "1");
        in.put("sasl.jaas.config", "x password=\"y\"");
        assertEquals("{b=1, sasl.jaas.config=[hidden]}", Secrets.masked(in).toString());
    }
}
