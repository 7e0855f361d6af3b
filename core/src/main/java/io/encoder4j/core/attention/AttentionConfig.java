package io.encoder4j.core.attention;

import io.encoder4j.core.config.Checks;

/**
 * Configuration of one self-attention block, chosen by {@code type} from the {@link AttentionRegistry}.
 *
 * @param type registry name of the mechanism ({@code full}, ...)
 * @param dropout dropout on the attention probabilities (0 disables it)
 */
public record AttentionConfig(String type, Float dropout) {

    public static final String DEFAULT_TYPE = "full";

    public AttentionConfig {
        if (type == null) {
            type = DEFAULT_TYPE;
        }
        if (dropout == null) {
            dropout = 0.1f;
        }
        Checks.probability("dropout", dropout);
        AttentionRegistry.requireKnown("type", type);
    }

    public static AttentionConfig full(float dropout) {
        return new AttentionConfig(DEFAULT_TYPE, dropout);
    }
}
