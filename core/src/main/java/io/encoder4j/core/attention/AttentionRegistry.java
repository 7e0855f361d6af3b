package io.encoder4j.core.attention;

import io.encoder4j.core.config.Suggestions;
import java.util.Map;
import java.util.TreeMap;

/** The one map from a configuration name to an attention block (as xformers keys its attention registry). */
public final class AttentionRegistry {

    /** Builds a block for a model of the given width. */
    @FunctionalInterface
    public interface Factory {
        SelfAttention create(AttentionConfig config, int hiddenSize, int numHeads);
    }

    private static final Map<String, Factory> FACTORIES = new TreeMap<>();

    static {
        FACTORIES.put(FullAttention.NAME, (c, e, h) -> new FullAttention(e, h, c.dropout()));
    }

    private AttentionRegistry() {}

    public static SelfAttention create(AttentionConfig config, int hiddenSize, int numHeads) {
        requireKnown("type", config.type());
        return FACTORIES.get(config.type()).create(config, hiddenSize, numHeads);
    }

    /** Throws an {@link IllegalArgumentException} naming {@code key} and the closest known name. */
    static void requireKnown(String key, String type) {
        if (!FACTORIES.containsKey(type)) {
            throw new IllegalArgumentException(
                    key + ": unknown attention type '" + type + "'"
                            + Suggestions.didYouMean(type, FACTORIES.keySet())
                            + " (known: " + String.join(", ", FACTORIES.keySet()) + ")");
        }
    }
}
