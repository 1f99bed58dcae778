package io.mailflow.generate;

import java.util.Locale;

/**
 * How one MTA family words the events of the simulation: which event type an expiry is, which
 * status codes and response texts a connection failure gives. The generator decides what
 * happens; the dialect decides how it reads, so the same run can be written as Exchange or
 * Postfix logs that each look like the real thing.
 */
public interface MtaDialect {

    /** Name used on the command line and in summaries. */
    String name();

    /** Ids of a new message: whether the MTA has a network-message-id, how its queue ids look. */
    boolean hasNetworkMessageId();

    String internalMessageId(long sequence, long randomBits);

    String defaultServer(int index);

    Reply received(SimulatedMessage message);

    Reply delivered(SimulatedMessage message);

    Reply deferred(SimulatedMessage message, TransientFailure failure);

    Reply rejected(SimulatedMessage message, String recipient, PermanentFailure failure);

    /** The MTA gives up on a recipient that stayed queued until its expiry timeout. */
    Reply expired(SimulatedMessage message);

    static MtaDialect named(final String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "exchange", "jsonl", "kafka" -> ExchangeDialect.INSTANCE;
            case "postfix" -> PostfixDialect.INSTANCE;
            default -> throw new IllegalArgumentException("Unknown MTA dialect '" + name + "' (exchange, postfix)");
        };
    }
}
