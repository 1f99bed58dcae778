package io.mailflow.query;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A connector's status: failing over backlog over healthy")
class ConnectorStatusTest {
    private static JsonNode alert(final String type) {
        return QueryJson.object().put("type", type).put("state", "FIRING");
    }

    @Test
    @DisplayName("failing while a connector failure fires, even with a backlog; backlog alone is backlog; none is healthy")
    void status() {
        assertEquals("healthy", QueryApi.status(List.of()));
        assertEquals("backlog", QueryApi.status(List.of(alert("QUEUE_BACKLOG"))));
        assertEquals("failing", QueryApi.status(List.of(alert("QUEUE_BACKLOG"), alert("CONNECTOR_FAILURE"))));
        assertEquals("failing", QueryApi.status(List.of(alert("CONNECTOR_FAILURE"))));
    }
}
