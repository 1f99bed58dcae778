package io.mailflow.classify;

import static io.mailflow.detect.TestTraces.T0;
import static io.mailflow.detect.TestTraces.trace;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import java.util.List;

/**
 * Classification throughput on typical and hostile texts; prints numbers, asserts nothing.
 * Run: java -cp "analyzer/target/classes:analyzer/target/test-classes:$(cat cp.txt)" io.mailflow.classify.FailureClassifierBenchmark
 */
public final class FailureClassifierBenchmark {
    private FailureClassifierBenchmark() {
    }

    public static void main(final String[] args) {
        final List<MessageTrace> typical = List.of(
            trace(EventType.DEFER, T0).setResponseText("450 4.4.316 Connection refused [Message=Socket error code 10061] "
                + "[LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.10:25]").build(),
            trace(EventType.DEFER, T0).setStatusCode("4.4.1").setResponseText("connect to gafe.se[151.252.30.111]:25: Connection refused").build(),
            trace(EventType.DEFER, T0).setResponseText("451 4.4.0 DNS query failed. The error was: SMTPSEND.DNS.NonExistentDomain; nonexistent domain").build(),
            trace(EventType.SEND, T0).setStatusCode("2.0.0").setSmtpReply("250").setResponseText("250 2.0.0 OK 1584148796 q7si7179").build(),
            trace(EventType.FAIL, T0).setResponseText("550 4.4.7 QUEUE.Expired; message expired -> 451 4.4.0 DNS query failed").build());
        run("typical mix", typical, 2_000_000);
        final List<MessageTrace> hostile = List.of(
            trace(EventType.DEFER, T0).setResponseText("4.".repeat(50_000)).build(),
            trace(EventType.DEFER, T0).setResponseText("a[".repeat(50_000) + "1.2]").build(),
            trace(EventType.DEFER, T0).setResponseText("->".repeat(50_000)).build());
        run("hostile 100 kB texts", hostile, 300);
        final String[] names = {"typical: EXO 4.4.316", "typical: Postfix refused", "typical: Exchange DNS", "typical: delivery", "typical: chained expiry"};
        for (int i = 0; i < typical.size(); i++) {
            run(names[i], List.of(typical.get(i)), 500_000);
        }
        final String[] hostileNames = {"hostile: 4.4.4.", "hostile: a[a[a[", "hostile: ->->->"};
        for (int i = 0; i < hostile.size(); i++) {
            run(hostileNames[i], List.of(hostile.get(i)), 100);
        }
    }

    private static void run(final String name, final List<MessageTrace> traces, final int rounds) {
        long sink = 0;
        for (int i = 0; i < rounds / 4; i++) { // warm-up
            sink += FailureClassifier.classify(traces.get(i % traces.size())).hashCode();
        }
        final long start = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            sink += FailureClassifier.classify(traces.get(i % traces.size())).hashCode();
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%-26s %,12d records in %.2f s = %,.0f records/s (%.1f us each) [%d]%n",
            name, rounds, seconds, rounds / seconds, seconds * 1e6 / rounds, sink & 1);
    }
}
