package io.mailflow.app;

import io.mailflow.detect.SourceLag;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.streams.processor.internals.DefaultKafkaClientSupplier;

/**
 * Kafka's own clients, with each stream thread's main consumer registered in {@link SourceLag}
 * under the thread's name, so a traces task can ask whether its partition is caught up with its
 * end offset before it reports the partition idle. Kafka Streams names a thread's main consumer
 * "{thread name}-consumer".
 */
final class LagReportingClientSupplier extends DefaultKafkaClientSupplier {
    private static final String SUFFIX = "-consumer";

    @Override
    public Consumer<byte[], byte[]> getConsumer(final Map<String, Object> config) {
        final Consumer<byte[], byte[]> consumer = super.getConsumer(config);
        final Object clientId = config.get(CommonClientConfigs.CLIENT_ID_CONFIG);
        if (clientId instanceof String id && id.endsWith(SUFFIX)) {
            final String thread = id.substring(0, id.length() - SUFFIX.length());
            // asked only on the stream thread that owns the consumer (a consumer is single-threaded)
            SourceLag.register(thread, consumer::currentLag);
            return unregisteringOnClose(consumer, thread);
        }
        return consumer;
    }

    /** The consumer, forgotten by SourceLag when its (possibly replaced) stream thread closes it. */
    @SuppressWarnings("unchecked")
    private static Consumer<byte[], byte[]> unregisteringOnClose(final Consumer<byte[], byte[]> consumer, final String thread) {
        return (Consumer<byte[], byte[]>) Proxy.newProxyInstance(Consumer.class.getClassLoader(), new Class<?>[] {Consumer.class},
            (proxy, method, args) -> {
                if (method.getName().equals("close")) {
                    SourceLag.unregister(thread);
                }
                try {
                    return method.invoke(consumer, args);
                } catch (final InvocationTargetException e) {
                    throw e.getCause();
                }
            });
    }
}
