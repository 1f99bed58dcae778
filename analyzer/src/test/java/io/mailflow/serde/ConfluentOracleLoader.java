package io.mailflow.serde;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Loads {@link ConfluentOracle} in a class loader of its own: the flink bundle jar (kept off the
 * test classpath by surefire/failsafe {@code classpathDependencyExcludes}), slf4j-api, and the
 * test classes; its parent is the platform loader, so none of Kafka's or Avro's classes on the
 * test classpath can clash with the bundle's. Calls go through reflection with JDK types.
 */
final class ConfluentOracleLoader implements AutoCloseable {
    private final URLClassLoader loader;
    private final Object oracle;

    ConfluentOracleLoader(final String registryUrl) throws Exception {
        final String jar = System.getProperty("mailflow.confluent.oracle.jar", "");
        if (jar.isEmpty() || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("System property mailflow.confluent.oracle.jar must name the "
                + "flink-sql-avro-confluent-registry jar (set by analyzer/pom.xml for surefire and failsafe); got \"" + jar + "\"");
        }
        loader = new URLClassLoader("confluent-oracle", new URL[] {url(Path.of(jar)),
            location(org.slf4j.LoggerFactory.class), location(ConfluentOracle.class)}, ClassLoader.getPlatformClassLoader());
        oracle = loader.loadClass(ConfluentOracle.class.getName()).getConstructor(String.class).newInstance(registryUrl);
        if (oracle.getClass().getClassLoader() != loader) {
            throw new IllegalStateException("The oracle was not isolated");
        }
    }

    /** Calls a method of the oracle; arguments and results are JDK types. */
    @SuppressWarnings("unchecked")
    <T> T call(final String method, final Object... args) throws Exception {
        for (final Method candidate : oracle.getClass().getMethods()) {
            if (candidate.getName().equals(method) && candidate.getParameterCount() == args.length) {
                try {
                    return (T) candidate.invoke(oracle, args);
                } catch (final InvocationTargetException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
        }
        throw new NoSuchMethodException(method + Arrays.toString(args));
    }

    /** Whether a class of this name, as the oracle sees it, comes from the oracle's own loader (and not the test classpath). */
    boolean sees(final String className) throws ClassNotFoundException {
        return Class.forName(className, false, loader).getClassLoader() == loader;
    }

    private static URL location(final Class<?> type) {
        return type.getProtectionDomain().getCodeSource().getLocation();
    }

    private static URL url(final Path path) throws MalformedURLException {
        return path.toUri().toURL();
    }

    @Override
    public void close() throws Exception {
        loader.close();
    }
}
