package io.mailflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.config.MailflowConfig.ConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DetectionConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        final DetectionConfig d = DetectionConfig.from(MailflowConfig.builder().defaults().build());
        assertEquals(Duration.ofMinutes(5), d.window());
        assertEquals(Duration.ofMinutes(1), d.grace());
        assertEquals(Duration.ofMinutes(30), d.quietPeriod());
        assertEquals(Duration.ofMinutes(15), d.fireAfter());
        assertEquals(5, d.minFailures());
        assertEquals(Duration.ofMinutes(5), d.updateInterval());
        assertEquals(200, d.backlogThreshold());
        assertEquals(Duration.ofSeconds(60), d.partitionIdle());
    }

    @Test
    void everyRuleCanBeSetUnderMailflowDetect() {
        final MailflowConfig c = MailflowConfig.builder().defaults()
            .override("mailflow.detect.window", "1m")
            .override("mailflow.detect.grace", "PT30S")
            .override("mailflow.detect.quiet-period", "10m")
            .override("mailflow.detect.fire-after", "5m")
            .override("mailflow.detect.min-failures", "3")
            .override("mailflow.detect.update-interval", "2m")
            .override("mailflow.detect.backlog-threshold", "2000")
            .override("mailflow.queue.backlog-age", "2h")
            .build();
        final DetectionConfig d = DetectionConfig.from(c);
        assertEquals(Duration.ofMinutes(1), d.window());
        assertEquals(Duration.ofSeconds(30), d.grace());
        assertEquals(Duration.ofMinutes(10), d.quietPeriod());
        assertEquals(Duration.ofMinutes(5), d.fireAfter());
        assertEquals(3, d.minFailures());
        assertEquals(Duration.ofMinutes(2), d.updateInterval());
        assertEquals(2000, d.backlogThreshold());
        assertEquals(Duration.ofHours(2), d.backlogAge(), "the queue tracker's backlog age, named in alert texts");
    }

    @Test
    void nonsenseIsRejectedWithTheKeyInTheMessage() {
        final ConfigException zeroWindow = assertThrows(ConfigException.class, () -> DetectionConfig.from(
            MailflowConfig.builder().defaults().override("mailflow.detect.window", "0s").build()));
        assertTrue(zeroWindow.getMessage().contains("mailflow.detect.window"), zeroWindow.getMessage());
        final ConfigException noFailures = assertThrows(ConfigException.class, () -> DetectionConfig.from(
            MailflowConfig.builder().defaults().override("mailflow.detect.min-failures", "0").build()));
        assertTrue(noFailures.getMessage().contains("min-failures"), noFailures.getMessage());
    }
}
