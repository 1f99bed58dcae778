package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.serde.DevRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The web page of `mailflow run` (GET / on its query port) in a real browser: Debian's headless
 * Chromium through Selenium, against one `mailflow run` instance (target/mailflow.jar as a child
 * process) on an embedded broker with the dev registry. A generated two-hour log with a 40-minute
 * outage of partner-contoso (4.4.316) is fed in two parts: up to the middle of the outage (in
 * 10-minute slices of event time, so the page sees the outage grow), where
 * the page must show the connector failing, its queue (recipients queued, last error 4.4.316, the
 * remediation text), the alert and the outage in the chart, and a message lookup must find a
 * queued message; then the rest, after which the same page, never reloaded, must show the connector
 * healthy and no alert.
 *
 * <p>{@code -Dmailflow.screenshot=docs/images/mail-flow.png} (relative to the project directory)
 * writes the failing state's screenshot there, for the README; it is always written to
 * target/web-page-it/ as well, with the recovered state's.
 */
class WebPageIT {
    private static final String CONNECTOR = "partner-contoso";
    private static final Instant START = Instant.parse("2026-03-02T08:00:00Z");
    /** The outage lasts from +20 min to +60 min; the first part ends in its middle. */
    private static final Instant MIDDLE = START.plus(Duration.ofMinutes(40));
    private static final String[] SCENARIO = {"generate", "--seed", "17", "--duration", "2h", "--start", START.toString(),
        "--format", "exchange", "--connectors", "internet:10,partner-contoso:6,partner-fabrikam:4,mailbox:10",
        "--outage", CONNECTOR + ":4.4.316:40m@+20m"};
    private static final Duration ANALYSED = Duration.ofMinutes(4);
    /** The page polls every 3 s: once the state has it, the page shows it within a few polls. */
    private static final Duration PAGE_SHOWS = Duration.ofSeconds(30);

    @Test
    @DisplayName("the page shows the failing connector, its queue, the alert and the chart mid-outage, and the recovery without a reload")
    void pageFollowsAnOutageAndItsRecovery(@TempDir final Path tmp) throws Exception {
        HeadlessChromium.requireInstalled();
        final Path logs = ClusterInstances.generate(tmp.resolve("logs"), SCENARIO);
        final Path work = Path.of("target", "web-page-it").toAbsolutePath();
        EmbeddedKafka.deleteRecursively(work);
        Files.createDirectories(work);
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             ClusterInstances instances = new ClusterInstances(work, 1)) {
            final String registry = DevRegistry.url();
            final String app = "web-page-it-" + System.nanoTime();
            final MailflowConfig config = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", kafka.bootstrapServers())
                .override("schema.registry.url", registry)
                .override("application.id", app)
                .override("mailflow.topic.partitions", "1")
                .override("mailflow.topic.retention", "infinite")
                .build();
            final Topics topics = new Topics(config);
            // the whole log is replayed to a staging topic first, then fed to the analyzer in two parts by event time
            final MailflowConfig staging = config.with("mailflow.topic.traces", "staging.traces");
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
                TopicAdmin.ensure(admin, TopicAdmin.specs(staging), false);
            }
            KafkaReplay.replay(staging, new Topics(staging), List.of(logs), ReplayOptions.defaults());
            final List<ConsumerRecord<byte[], byte[]>> staged = ClusterInstances.readTopic(kafka.bootstrapServers(), "staging.traces", 1).get(0);
            final List<ConsumerRecord<byte[], byte[]>> before = staged.stream().filter(r -> r.timestamp() < MIDDLE.toEpochMilli()).toList();
            final List<ConsumerRecord<byte[], byte[]>> after = staged.stream().filter(r -> r.timestamp() >= MIDDLE.toEpochMilli()).toList();
            assertTrue(!before.isEmpty() && !after.isEmpty(), "records on both sides of the middle: " + before.size() + " / " + after.size());

            final int queryPort = ClusterInstances.freePort();
            final Process run = instances.start("a", kafka.bootstrapServers(), registry, app, "mailflow.query.port=" + queryPort);
            instances.awaitHealthy("a", Duration.ofSeconds(90));
            final String page = "http://127.0.0.1:" + queryPort + "/";

            final ChromeDriver browser = HeadlessChromium.start(work.resolve("chromium-profile"), 1440, 1000);
            try {
                browser.get(page);
                assertEquals("mailflow · mail flow", browser.getTitle());
                waitFor(browser, "the page's first update", PAGE_SHOWS, () -> polls(browser) >= 1);

                // part 1: up to the middle of the outage, in 10-minute slices of event time, each given two of
                // the page's updates: the page follows the outage as it grows, as it would live
                for (final List<ConsumerRecord<byte[], byte[]>> slice : slices(before, Duration.ofMinutes(10))) {
                    ClusterInstances.copy(kafka.bootstrapServers(), slice, topics.traces.name());
                    final int polled = polls(browser);
                    waitFor(browser, "two updates after a slice", PAGE_SHOWS, () -> polls(browser) >= polled + 2);
                }
                instances.awaitComplete(config, topics, app, List.of(run), ANALYSED);
                waitFor(browser, CONNECTOR + " failing with its queue and alert", PAGE_SHOWS, () ->
                    "failing".equals(rowStatus(browser)) && queuedInFlyout(browser) > 0
                        && !browser.findElements(By.cssSelector(".alert[data-connector='" + CONNECTOR + "'][data-type='CONNECTOR_FAILURE']")).isEmpty());
                final WebElement alert = browser.findElement(By.cssSelector(".alert[data-connector='" + CONNECTOR + "']"));
                assertTrue(alert.getText().contains("4.4.316"), "the alert names the status code: " + alert.getText());
                assertTrue(alert.getText().contains("How to fix"), "the alert says how to fix it: " + alert.getText());
                final WebElement queue = browser.findElement(By.id("queue"));
                assertTrue(queue.getText().contains("Queue · " + CONNECTOR), queue.getText());
                assertTrue(text(browser, "#queue [data-field='last-error']").contains("4.4.316"), "the flyout's last error: " + queue.getText());
                assertTrue(text(browser, "#queue [data-field='remediation']").contains("How to fix"), "the flyout's remediation: " + queue.getText());
                assertTrue(queue.getText().contains("mail.contoso.com"), "the destination server: " + queue.getText());
                assertEquals(text(browser, "#queue [data-field='queued']"),
                    text(browser, "tr[data-connector='" + CONNECTOR + "'] [data-field='queued']"), "the flyout and the table agree");
                waitFor(browser, "the chart's failure bars", PAGE_SHOWS, () -> chartFailures(browser) > 0);
                lookUpAQueuedMessage(browser, queryPort);
                // the screenshot shows the state before the lookup: it is cleared so the README's picture stays about the outage
                HeadlessChromium.js(browser, "document.getElementById('lookup-result').innerHTML = ''; document.getElementById('lookup-value').value = ''");
                final int pollsBefore = polls(browser);
                waitFor(browser, "two more updates for the chart's queue line", PAGE_SHOWS, () -> polls(browser) >= pollsBefore + 2);
                HeadlessChromium.screenshot(browser, work.resolve("outage.png"));
                final String screenshot = System.getProperty("mailflow.screenshot", "").trim();
                if (!screenshot.isEmpty()) {
                    final Path target = Path.of(System.getProperty("mailflow.project.dir", "..")).resolve(screenshot).normalize();
                    HeadlessChromium.screenshot(browser, target);
                    System.out.println("WebPageIT: screenshot written to " + target);
                }

                // part 2: the rest; the same page, never reloaded, follows
                HeadlessChromium.js(browser, "window.mailflowSamePage = true");
                ClusterInstances.copy(kafka.bootstrapServers(), after, topics.traces.name());
                instances.awaitComplete(config, topics, app, List.of(run), ANALYSED);
                waitFor(browser, CONNECTOR + " healthy and no alert", PAGE_SHOWS, () ->
                    "healthy".equals(rowStatus(browser)) && !browser.findElements(By.cssSelector("[data-all-clear]")).isEmpty()
                        && "0".equals(text(browser, "tr[data-connector='" + CONNECTOR + "'] [data-field='queued']")));
                assertEquals(Boolean.TRUE, HeadlessChromium.js(browser, "return window.mailflowSamePage === true"), "the page was not reloaded");
                assertTrue(browser.findElements(By.cssSelector(".alert[data-connector='" + CONNECTOR + "']")).isEmpty(), "the alert is gone");
                HeadlessChromium.screenshot(browser, work.resolve("resolved.png"));
                assertEquals(List.of(), HeadlessChromium.consoleErrors(browser), "no errors in the browser console");
            } finally {
                browser.quit();
            }
        }
    }

    /** {@code records} cut into consecutive slices of {@code length} of event time (record timestamps), in order. */
    private static List<List<ConsumerRecord<byte[], byte[]>>> slices(final List<ConsumerRecord<byte[], byte[]>> records,
                                                                     final Duration length) {
        final Map<Long, List<ConsumerRecord<byte[], byte[]>>> bySlice = new TreeMap<>();
        for (final ConsumerRecord<byte[], byte[]> r : records) {
            bySlice.computeIfAbsent(Math.max(0, r.timestamp() - START.toEpochMilli()) / length.toMillis(), k -> new ArrayList<>()).add(r);
        }
        return List.copyOf(bySlice.values());
    }

    /** Looks up the first queued sample's message by its ID in the page's lookup form. */
    private static void lookUpAQueuedMessage(final ChromeDriver browser, final int queryPort) throws Exception {
        final String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + queryPort + "/api/v1/connectors/" + CONNECTOR + "/queue")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        final JsonNode sample = new ObjectMapper().readTree(body).path("samples").path(0);
        assertTrue(sample.has("messageId"), "the queue has samples: " + body);
        browser.findElement(By.id("lookup-value")).sendKeys(sample.path("messageId").asText());
        browser.findElement(By.cssSelector("#lookup button")).click();
        final String recipient = sample.path("recipient").asText();
        waitFor(browser, "the lookup's answer", PAGE_SHOWS, () ->
            !browser.findElements(By.cssSelector("#lookup-result tr[data-recipient='" + recipient + "']")).isEmpty());
        final String result = text(browser, "#lookup-result");
        assertTrue(result.contains(CONNECTOR) && result.contains("4.4.316"), "the lookup shows the recipient queued on " + CONNECTOR + ": " + result);
    }

    private static String rowStatus(final ChromeDriver browser) {
        final List<WebElement> rows = browser.findElements(By.cssSelector("tr[data-connector='" + CONNECTOR + "']"));
        return rows.isEmpty() ? null : rows.get(0).getAttribute("data-status");
    }

    private static long queuedInFlyout(final ChromeDriver browser) {
        final String queued = text(browser, "#queue [data-field='queued']").replace(",", "");
        return queued.matches("\\d+") ? Long.parseLong(queued) : -1;
    }

    private static int polls(final ChromeDriver browser) {
        final String polls = browser.findElement(By.id("updated")).getAttribute("data-polls");
        return polls == null ? 0 : Integer.parseInt(polls);
    }

    /** Failures in the chart's bars (Chart.js, loaded from the jar). */
    private static long chartFailures(final ChromeDriver browser) {
        final Object sum = HeadlessChromium.js(browser, "const c = window.Chart && Chart.getChart('chart'); if (!c) return 0;"
            + " return c.data.datasets.filter(d => d.label.startsWith('failures')).flatMap(d => d.data).reduce((a, b) => a + b, 0)");
        return ((Number) sum).longValue();
    }

    private static String text(final ChromeDriver browser, final String css) {
        final List<WebElement> found = browser.findElements(By.cssSelector(css));
        return found.isEmpty() ? "" : found.get(0).getText().trim();
    }

    private static void waitFor(final ChromeDriver browser, final String what, final Duration timeout,
                                final BooleanSupplier condition) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        WebDriverException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (final WebDriverException e) {
                last = e; // an element replaced by the page's redraw between finding and reading it
            }
            try {
                Thread.sleep(250);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        throw new AssertionError("the page did not show " + what + " within " + timeout + "; it shows:\n"
            + browser.findElement(By.tagName("body")).getText(), last);
    }
}
