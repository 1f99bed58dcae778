package io.mailflow.emit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.serde.SchemaRegistryException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Dead letters are for input that can never be read, not for a registry or broker fault")
class DeadLetterExceptionHandlerTest {
    @Test
    @DisplayName("a registry that cannot be reached, fails inside (5xx) or throttles (429) is a fault of the infrastructure, however wrapped")
    void registryFaultsAreInfrastructure() {
        assertTrue(DeadLetterExceptionHandler.isInfrastructureFault(new StreamsException(new SerializationException("Cannot get a schema id",
            new SchemaRegistryException(500, 50001, "JdbcSQLTimeoutException")))));
        assertTrue(DeadLetterExceptionHandler.isInfrastructureFault(new SchemaRegistryException("Cannot reach the schema registry",
            new java.net.ConnectException("refused"))));
        assertTrue(DeadLetterExceptionHandler.isInfrastructureFault(new SchemaRegistryException(429, 429, "slow down")));
    }

    @Test
    @DisplayName("a retriable broker error is a fault of the infrastructure")
    void retriableBrokerErrorsAreInfrastructure() {
        assertTrue(DeadLetterExceptionHandler.isInfrastructureFault(new StreamsException(new TimeoutException("expired"))));
    }

    @Test
    @DisplayName("bad data and a registry that refuses the schema (4xx) are the record's or the code's: dead letters as before")
    void badDataIsNot() {
        assertFalse(DeadLetterExceptionHandler.isInfrastructureFault(new IllegalArgumentException("bad date")));
        assertFalse(DeadLetterExceptionHandler.isInfrastructureFault(new SerializationException("Unknown magic byte")));
        assertFalse(DeadLetterExceptionHandler.isInfrastructureFault(new SchemaRegistryException(409, 409, "incompatible")));
        assertFalse(DeadLetterExceptionHandler.isInfrastructureFault(new SchemaRegistryException(404, 40403, "Schema not found")));
    }
}
