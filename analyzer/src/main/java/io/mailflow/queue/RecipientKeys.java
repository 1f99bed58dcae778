package io.mailflow.queue;

import java.util.Locale;

/**
 * The state-store key of one queued recipient: the message key, a NUL, the recipient in lower
 * case. Addresses compare case-insensitively in practice (and Exchange logs them in varying case),
 * so DEFER and SEND lines of one recipient meet on one key.
 */
final class RecipientKeys {
    static final char SEPARATOR = '\u0000';

    private RecipientKeys() {
    }

    static String of(final String messageKey, final String recipient) {
        return messageKey + SEPARATOR + recipient.trim().toLowerCase(Locale.ROOT);
    }

    static String messageKeyOf(final String recipientKey) {
        final int at = recipientKey.indexOf(SEPARATOR);
        return at < 0 ? recipientKey : recipientKey.substring(0, at);
    }
}
