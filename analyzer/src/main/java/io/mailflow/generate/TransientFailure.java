package io.mailflow.generate;

import java.util.Locale;

/**
 * The connector failures mail flow intelligence reports (Exchange's 4.4.312–4.4.318 and 4.7.320)
 * plus the other transient replies remote servers give, with the Exchange status code of each.
 * How each reads in a log is the {@link MtaDialect}'s business.
 */
public enum TransientFailure {
    DNS_QUERY_FAILED("4.4.312"),
    CONNECTION_TIMED_OUT("4.4.315"),
    CONNECTION_REFUSED("4.4.316"),
    CANNOT_CONNECT("4.4.317"),
    CONNECTION_CLOSED("4.4.318"),
    CERTIFICATE_VALIDATION_FAILED("4.7.320"),
    /** A remote server that is busy or greylisting ("451 4.7.500 Server busy"): a reply, not a connection failure. */
    SERVER_BUSY("4.7.500"),
    /** The remote side dropped the session with a 421 ("421 4.4.2 Connection dropped"). */
    CONNECTION_DROPPED("4.4.2");

    private final String exchangeCode;

    TransientFailure(final String exchangeCode) {
        this.exchangeCode = exchangeCode;
    }

    public String exchangeCode() {
        return exchangeCode;
    }

    /** Accepts an Exchange code ({@code 4.4.316}) or a name ({@code connection-refused}). */
    public static TransientFailure ofCode(final String codeOrName) {
        for (final TransientFailure f : values()) {
            if (f.exchangeCode.equals(codeOrName)) {
                return f;
            }
        }
        try {
            return valueOf(codeOrName.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown failure '" + codeOrName
                + "' (codes: 4.4.312, 4.4.315, 4.4.316, 4.4.317, 4.4.318, 4.7.320, 4.7.500, 4.4.2)");
        }
    }
}
