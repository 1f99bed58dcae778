package io.mailflow.serde;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * The Authorization header sent to the registry, chosen from Confluent's keys: basic auth from
 * {@code basic.auth.user.info} (source {@code USER_INFO}) or from the user info of the URL
 * (source {@code URL}, the default), or a static bearer token (source {@code STATIC_TOKEN}).
 */
public final class RegistryAuth {
    private static final RegistryAuth NONE = new RegistryAuth(null);

    private final String header;

    private RegistryAuth(final String header) {
        this.header = header;
    }

    public static RegistryAuth none() {
        return NONE;
    }

    public static RegistryAuth basic(final String userInfo) {
        return new RegistryAuth("Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)));
    }

    public static RegistryAuth bearer(final String token) {
        return new RegistryAuth("Bearer " + token);
    }

    /** The authentication the configuration asks for; {@code firstUrl} supplies user info for source URL. */
    public static RegistryAuth fromConfig(final Map<String, ?> configs, final URI firstUrl) {
        final String bearerSource = SerdeConfig.get(configs, SerdeConfig.BEARER_AUTH_CREDENTIALS_SOURCE);
        if (bearerSource != null && !bearerSource.isEmpty()) {
            if (!"STATIC_TOKEN".equalsIgnoreCase(bearerSource)) {
                throw new IllegalArgumentException("Unsupported " + SerdeConfig.BEARER_AUTH_CREDENTIALS_SOURCE + " \""
                    + bearerSource + "\": mailflow supports STATIC_TOKEN");
            }
            final String token = SerdeConfig.get(configs, SerdeConfig.BEARER_AUTH_TOKEN);
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException(SerdeConfig.BEARER_AUTH_CREDENTIALS_SOURCE + "=STATIC_TOKEN needs "
                    + SerdeConfig.BEARER_AUTH_TOKEN);
            }
            return bearer(token);
        }
        final String basicSource = Optional.ofNullable(SerdeConfig.get(configs, SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE))
            .filter(s -> !s.isEmpty()).orElse("URL").toUpperCase(java.util.Locale.ROOT);
        switch (basicSource) {
            case "USER_INFO" -> {
                final String userInfo = SerdeConfig.get(configs, SerdeConfig.BASIC_AUTH_USER_INFO);
                if (userInfo == null || !userInfo.contains(":")) {
                    throw new IllegalArgumentException(SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE + "=USER_INFO needs "
                        + SerdeConfig.BASIC_AUTH_USER_INFO + " as user:password");
                }
                return basic(userInfo);
            }
            case "URL" -> {
                final String userInfo = firstUrl == null ? null : firstUrl.getRawUserInfo();
                return userInfo == null ? NONE : basic(URLDecoder.decode(userInfo, StandardCharsets.UTF_8));
            }
            default -> throw new IllegalArgumentException("Unsupported " + SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE
                + " \"" + basicSource + "\": mailflow supports URL and USER_INFO");
        }
    }

    /** The Authorization header value, if any. */
    public Optional<String> header() {
        return Optional.ofNullable(header);
    }

    @Override
    public String toString() {
        // never print the credentials
        return header == null ? "none" : header.substring(0, header.indexOf(' '));
    }
}
