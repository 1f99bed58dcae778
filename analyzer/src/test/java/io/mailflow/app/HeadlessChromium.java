package io.mailflow.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's Chromium (packages chromium, chromium-driver; deploy/browser/install-chromium.sh puts
 * them there in pre-integration-test) driven through its ChromeDriver by Selenium, headless.
 * Chromium's own background traffic (component updates, sync, QUIC probes) is switched off: a
 * closed network refuses it, and a test has no use for it.
 */
final class HeadlessChromium {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private HeadlessChromium() {
    }

    /**
     * Skips only when the browser is missing and the build was told not to install it
     * ({@code -Dmailflow.skip.interop.setup=true}); otherwise a missing browser fails the test, so CI
     * cannot pass without having run it.
     */
    static void requireInstalled() {
        final boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!installed && Boolean.getBoolean("mailflow.skip.interop.setup")) {
            Assumptions.abort(CHROMIUM + " or " + CHROMEDRIVER + " is missing and -Dmailflow.skip.interop.setup=true kept the build"
                + " from installing them: skipped. Install them with deploy/browser/install-chromium.sh (apt-get install chromium chromium-driver).");
        }
        Assertions.assertTrue(installed, CHROMIUM + " and " + CHROMEDRIVER + " are needed: deploy/browser/install-chromium.sh installs them"
            + " (the build runs it in pre-integration-test unless -Dmailflow.skip.interop.setup=true)");
    }

    /** A fresh headless browser with its own profile in {@code profile}, a window of the given size. */
    static ChromeDriver start(final Path profile, final int width, final int height) throws IOException {
        Files.createDirectories(profile);
        final ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile.toAbsolutePath(),
            "--window-size=" + width + "," + height);
        final LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        final ChromeDriverService service = new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withLogFile(profile.resolveSibling(profile.getFileName() + "-chromedriver.log").toFile())
            .build();
        return new ChromeDriver(service, options);
    }

    /** The page's console errors (uncaught exceptions, failed requests) so far. */
    static List<String> consoleErrors(final ChromeDriver driver) {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
            .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
            .map(LogEntry::toString)
            .toList();
    }

    /**
     * The whole page as PNG: the window is made as tall as the document first (a WebDriver
     * screenshot shows the viewport only), then put back.
     */
    static void screenshot(final ChromeDriver driver, final Path png) throws IOException {
        final Dimension before = driver.manage().window().getSize();
        final Number height = (Number) ((JavascriptExecutor) driver).executeScript(
            "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)");
        final Number chrome = (Number) ((JavascriptExecutor) driver).executeScript("return window.outerHeight - window.innerHeight");
        driver.manage().window().setSize(new Dimension(before.getWidth(), height.intValue() + chrome.intValue()));
        try {
            final Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
            Files.createDirectories(png.toAbsolutePath().getParent());
            Files.copy(shot, png, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            driver.manage().window().setSize(before);
        }
    }

    /** Runs {@code script} in the page and returns its result. */
    static Object js(final ChromeDriver driver, final String script, final Object... args) {
        return driver.executeScript(script, args);
    }
}
