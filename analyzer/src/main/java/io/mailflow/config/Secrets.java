package io.mailflow.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of everything mailflow prints or logs. A setting whose key names a secret
 * ({@code password}, {@code sasl.jaas.config}, {@code secret}, {@code token}, {@code key},
 * {@code user.info}: {@code ssl.keystore.password}, {@code basic.auth.user.info},
 * {@code bearer.auth.token}, {@code ssl.keystore.key}, ...) is shown as {@value #MASK}, and the user
 * info of a URL ({@code http://user:pass@host}) as {@code ***}. Use {@link #mask} wherever a
 * configuration value is echoed: error messages, INFO lines, reports.
 */
public final class Secrets {
    public static final String MASK = "[hidden]";
    private static final Pattern SECRET_KEY = Pattern.compile(
        "password|sasl\\.jaas\\.config|jaas|secret|token|user\\.info|credentials(?!\\.source)|(^|[._-])key($|[._-](?!serde|serializer|deserializer))",
        Pattern.CASE_INSENSITIVE);
    private static final Pattern URL_USER_INFO = Pattern.compile("(?<=://)[^/@\\s,]+@");

    private Secrets() {
    }

    /** Whether the value of {@code key} is a secret. */
    public static boolean isSecret(final String key) {
        return key != null && SECRET_KEY.matcher(key).find();
    }

    /** {@code value} as it may be shown for {@code key}: {@value #MASK} for a secret, URLs without user info. */
    public static String mask(final String key, final String value) {
        if (value == null) {
            return null;
        }
        if (isSecret(key)) {
            // a reference to a secret (${file:/path:key}, FileConfigProvider) says where, not what: it may be shown
            return value.startsWith("${") && value.endsWith("}") && value.indexOf('}') == value.length() - 1 ? value : MASK;
        }
        return maskUrls(value);
    }

    /** {@code text} with the user info of every URL in it replaced: {@code http://***@host}. */
    public static String maskUrls(final String text) {
        return text == null ? null : URL_USER_INFO.matcher(text).replaceAll("***@");
    }

    /** A copy of {@code settings} with every value {@link #mask masked}, in the same order. */
    public static Map<String, String> masked(final Map<String, ?> settings) {
        final Map<String, String> out = new LinkedHashMap<>();
        settings.forEach((k, v) -> out.put(k, v == null ? null : mask(k, v.toString())));
        return out;
    }
}
