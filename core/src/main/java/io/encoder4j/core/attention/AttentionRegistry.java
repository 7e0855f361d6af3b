package io.encoder4j.core.attention;

import io.encoder4j.core.config.Suggestions;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The one map from a configuration name to an attention block (as xformers keys its attention registry), with the
 * config keys each mechanism takes besides {@code type} and {@code dropout}.
 */
public final class AttentionRegistry {

    /** Builds the block of one layer. */
    @FunctionalInterface
    public interface Factory {
        SelfAttention create(AttentionBuild build);
    }

    private record Entry(Set<String> keys, Factory factory) {}

    private static final Map<String, Entry> ENTRIES = new TreeMap<>();

    static {
        register(FullAttention.NAME, Set.of(), FullAttention::new);
        register(SlidingWindowAttention.NAME, Set.of("window", "layer_windows", "dilation"),
                SlidingWindowAttention::new);
        register(BlockwiseAttention.NAME, Set.of("num_blocks"), BlockwiseAttention::new);
        register(BigBirdAttention.NAME, Set.of("block_size", "num_random_blocks", "num_global_blocks", "seed"),
                BigBirdAttention::new);
        register(GlobalAttention.NAME, Set.of("local"), GlobalAttention::new);
        register(LshAttention.NAME, Set.of("num_hashes", "num_buckets", "chunk_size", "seed"), LshAttention::new);
        register(LongShortAttention.NAME, Set.of("window", "layer_windows", "rank"), LongShortAttention::new);
        register(LinformerAttention.NAME, Set.of("projected_length", "sharing"), LinformerAttention::new);
        register(NystromAttention.NAME, Set.of("num_landmarks", "pinv_iterations", "pinv_init", "conv_kernel"),
                NystromAttention::new);
        register(LinearAttention.NAME, Set.of(), LinearAttention::new);
        register(PerformerAttention.NAME, Set.of("num_features", "kernel", "redraw_interval", "seed"),
                PerformerAttention::new);
        register(RandomFeatureAttention.NAME, Set.of("num_features", "gate", "seed"), RandomFeatureAttention::new);
    }

    private AttentionRegistry() {}

    private static void register(String name, Set<String> keys, Factory factory) {
        ENTRIES.put(name, new Entry(Set.copyOf(keys), factory));
    }

    public static SelfAttention create(AttentionBuild build) {
        requireKnown("type", build.config().type());
        return ENTRIES.get(build.config().type()).factory().create(build);
    }

    /** The registered names, sorted. */
    public static Set<String> names() {
        return java.util.Collections.unmodifiableSet(ENTRIES.keySet());
    }

    /** The config keys of a registered type besides {@code type} and {@code dropout}. */
    static Set<String> keysOf(String type) {
        requireKnown("type", type);
        return ENTRIES.get(type).keys();
    }

    /** Throws an {@link IllegalArgumentException} naming {@code key} and the closest known name. */
    static void requireKnown(String key, String type) {
        if (!ENTRIES.containsKey(type)) {
            throw new IllegalArgumentException(
                    key + ": unknown attention type '" + type + "'"
                            + Suggestions.didYouMean(type, ENTRIES.keySet())
                            + " (known: " + String.join(", ", ENTRIES.keySet()) + ")");
        }
    }
}
