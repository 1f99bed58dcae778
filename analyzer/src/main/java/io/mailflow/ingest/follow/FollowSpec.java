package io.mailflow.ingest.follow;

import java.util.List;
import java.util.Objects;

/**
 * What to follow: a name for the log stream and glob patterns (java.nio PathMatcher "glob:"
 * syntax on absolute paths, e.g. "/var/log/mail.log*" or "/logs/EX01/MSGTRK*.LOG").
 * A path matched by the globs of several specs belongs to the first of them.
 */
public record FollowSpec(String stream, List<String> globs) {
    public FollowSpec {
        Objects.requireNonNull(stream, "stream");
        globs = List.copyOf(globs);
        if (globs.isEmpty()) {
            throw new IllegalArgumentException("stream " + stream + ": no glob");
        }
    }
}
