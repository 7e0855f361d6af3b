package io.encoder4j.core.attention;

/**
 * Everything a registry factory needs to build the attention block of one layer.
 *
 * @param config the mechanism's settings
 * @param hiddenSize model width E
 * @param numHeads heads H (E / H = head size D)
 * @param maxLength the longest sequence the model takes
 * @param layerIndex position of the layer in the stack (selects per-layer windows and seeds random parts)
 * @param firstLayer the attention block of layer 0 when building a later layer, else {@code null}: mechanisms that
 *     share parameters across layers (Linformer {@code sharing: layers}) take them from it
 */
public record AttentionBuild(
        AttentionConfig config, int hiddenSize, int numHeads, int maxLength, int layerIndex, SelfAttention firstLayer) {

    /** A single block outside a layer stack (layer 0). */
    public static AttentionBuild of(AttentionConfig config, int hiddenSize, int numHeads, int maxLength) {
        return new AttentionBuild(config, hiddenSize, numHeads, maxLength, 0, null);
    }

    public int headSize() {
        return hiddenSize / numHeads;
    }

    /** Seed of this layer's random parts: the configured seed mixed with the layer index. */
    public long layerSeed() {
        long s = config.seed() == null ? 0L : config.seed();
        return s * 1_000_003L + layerIndex * 7919L + 17L;
    }
}
