package io.mailflow.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.config.MailflowConfig;
import io.mailflow.config.MailflowConfig.ConfigException;
import io.mailflow.avro.FailureCategory;
import io.mailflow.classify.ConnectorInfo;
import io.mailflow.classify.ConnectorKind;
import io.mailflow.classify.Remediation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectorCatalogTest {
    @TempDir
    Path dir;

    private Path write(final String yaml) throws IOException {
        final Path file = dir.resolve("connectors.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void readsKindNameOwnerAndContactOfEachConnector() throws IOException {
        final ConnectorCatalog catalog = ConnectorCatalog.load(write("""
            connectors:
              - id: Outbound to Contoso
                kind: PARTNER_ORGANIZATION
                displayName: Contoso
                owner: Contoso Ltd
                contact: ops@contoso.com
              - id: To on-premises
                kind: on-premises-smart-host
                displayName: Head office Exchange
                contact: mail-team@fabrikam.example
            """));
        assertEquals(2, catalog.size());
        final ConnectorInfo contoso = catalog.lookup("Outbound to Contoso");
        assertEquals(ConnectorKind.PARTNER_ORGANIZATION, contoso.kind());
        assertEquals("Contoso", contoso.name());
        assertEquals("ops@contoso.com", contoso.contact());
        assertEquals(ConnectorKind.ON_PREMISES_SMART_HOST, catalog.lookup("To on-premises").kind(),
            "kinds are read leniently: case and dashes do not matter");
    }

    @Test
    void isFoundThroughTheConfigKey() throws IOException {
        final Path file = write("connectors:\n  - id: A\n    kind: INTERNET\n");
        final MailflowConfig config = MailflowConfig.builder().defaults().override("mailflow.connectors.catalog", file.toString()).build();
        assertEquals(ConnectorKind.INTERNET, ConnectorCatalog.from(config).lookup("A").kind());
        assertEquals(0, ConnectorCatalog.from(MailflowConfig.builder().defaults().build()).size());
    }

    @Test
    void unknownConnectorsStillWorkWithAKindGuessedFromTheirName() {
        final ConnectorCatalog catalog = ConnectorCatalog.empty();
        assertEquals(ConnectorKind.PARTNER_ORGANIZATION, catalog.lookup("Partner - Fabrikam").kind());
        assertEquals(ConnectorKind.ON_PREMISES_SMART_HOST, catalog.lookup("Hybrid Mail Flow Outbound Connector").kind());
        final ConnectorInfo opaque = catalog.lookup("Outbound to 6a5b1c2d-0000-4000-8000-000000000000");
        assertEquals(ConnectorKind.UNKNOWN, opaque.kind());
        assertEquals("Outbound to 6a5b1c2d-0000-4000-8000-000000000000", opaque.name());
        assertNull(Remediation.whoToContact(opaque), "nobody to name when the catalog does not know the connector");
    }

    @Test
    void aWrongKindIsAConfigurationErrorThatNamesTheConnector() throws IOException {
        final Path file = write("connectors:\n  - id: Outbound to Contoso\n    kind: CLOUD\n");
        final ConfigException e = assertThrows(ConfigException.class, () -> ConnectorCatalog.load(file));
        assertTrue(e.getMessage().contains("Outbound to Contoso") && e.getMessage().contains("CLOUD"), e.getMessage());
        assertThrows(ConfigException.class, () -> ConnectorCatalog.load(write("connectors:\n  - kind: INTERNET\n")));
        assertThrows(ConfigException.class, () -> ConnectorCatalog.load(dir.resolve("missing.yaml")));
    }

    @Test
    void remediationForAPartnerSaysTheErrorComesFromThePartnerAndWhomToContact() {
        final ConnectorInfo contoso = new ConnectorInfo("Outbound to Contoso", ConnectorKind.PARTNER_ORGANIZATION, "Contoso", null, "ops@contoso.com");
        final String text = Remediation.of(FailureCategory.CONNECTION_REFUSED, contoso);
        assertTrue(text.contains("The error comes from your partner Contoso: contact ops@contoso.com."), text);
        assertTrue(text.contains("firewall"), "the likely cause of a refused connection is named: " + text);
    }

    @Test
    void remediationForOwnServersTellsWhatToFixThere() {
        final ConnectorInfo onPrem = new ConnectorInfo("To HQ", ConnectorKind.ON_PREMISES_SMART_HOST, "HQ Exchange", "IT operations", "it@fabrikam.example");
        final String refused = Remediation.of(FailureCategory.CONNECTION_REFUSED, onPrem);
        assertTrue(refused.contains("port 25") && refused.contains("authoritative"), refused);
        assertTrue(refused.contains("run by IT operations: contact it@fabrikam.example"), refused);
        final String certificate = Remediation.of(FailureCategory.CERTIFICATE_VALIDATION_FAILED, onPrem);
        assertTrue(certificate.contains("certificate"), certificate);
        for (final FailureCategory category : FailureCategory.values()) {
            assertTrue(Remediation.of(category, onPrem).length() > 80, "every category has causes and a fix: " + category);
        }
    }
}
