package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding (RoPE; Su et al. 2021, "RoFormer", section 3.2, eq. 13-15), in the "rotate half" layout
 * of GPT-NeoX, LLaMA and ModernBERT (transformers' {@code apply_rotary_pos_emb}): coordinate i of a head vector is
 * paired with coordinate i + D/2, and the pair at position p is rotated by the angle p θ_i with
 * θ_i = theta^(-2i/D), i = 0 .. D/2 - 1. Queries and keys are rotated after their projections and the split into
 * heads, before any attention mechanism sees them, so that q_m · k_n = q · R_(n-m) k depends on the positions only
 * through n - m (the relative-position property, RoFormer eq. 16).
 *
 * <p>The tables are computed once per forward pass by the encoder and carried by the {@link AttentionContext}; the
 * angles are computed in float64 and only the cosines and sines are cast to the model's type, so that long
 * positions (p θ_0 = p radians) lose no precision before the cosine.
 *
 * @param cos (B, 1, N, D) cos(p θ_i) for both halves
 * @param sin (B, 1, N, D) sin(p θ_i) for both halves
 */
public record RotaryEmbedding(NDArray cos, NDArray sin) {

    /** RoFormer's base (transformers' {@code rope_theta} default). */
    public static final double DEFAULT_THETA = 10000.0;

    /**
     * The tables of a batch.
     *
     * @param positions (B, N) INT64 position of each token (the encoder numbers real tokens 0, 1, ... by their rank)
     * @param headSize D, even
     * @param theta the base of the frequencies
     * @param type the model's float type
     */
    public static RotaryEmbedding of(NDArray positions, int headSize, double theta, DataType type) {
        if (headSize % 2 != 0) {
            throw new IllegalArgumentException("rotary position embeddings need an even head size, got " + headSize);
        }
        int half = headSize / 2;
        double[] inverse = new double[half];
        for (int i = 0; i < half; i++) {
            inverse[i] = Math.pow(theta, -2.0 * i / headSize);
        }
        long b = positions.getShape().get(0);
        long n = positions.getShape().get(1);
        NDManager manager = positions.getManager();
        try (NDArray frequencies = manager.create(inverse, new Shape(1, 1, half))) {
            // (B, N, 1) x (1, 1, D/2) -> (B, N, D/2), then both halves: (B, 1, N, D).
            NDArray angles = positions.toType(DataType.FLOAT64, false).reshape(b, n, 1).mul(frequencies);
            NDArray both = angles.concat(angles, 2).reshape(b, 1, n, headSize);
            return new RotaryEmbedding(both.cos().toType(type, false), both.sin().toType(type, false));
        }
    }

    /**
     * Rotates every position of a head tensor: x cos + rotate_half(x) sin, rotate_half(x) = [-x2, x1].
     *
     * @param x (B, H, N, D)
     * @return (B, H, N, D)
     */
    public NDArray rotate(NDArray x) {
        return rotate(x, cos, sin);
    }

    /**
     * Rotates rows taken at given positions (Longformer's global queries, projected only at the global tokens).
     *
     * @param x (B, H, G, D), row g at position index[b, 0, g]
     * @param index (B, 1, G) INT64 positions
     * @return (B, H, G, D)
     */
    public NDArray rotateAt(NDArray x, NDArray index) {
        return rotate(x, Rows.take(cos, index), Rows.take(sin, index));
    }

    private static NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
        long d = x.getShape().get(3);
        long half = d / 2;
        NDArray first = x.get(":, :, :, 0:" + half);
        NDArray second = x.get(":, :, :, " + half + ":");
        // The activation is the first operand of every op (DJL-NOTES: a result belongs to its first operand's
        // manager).
        return x.mul(cos).add(second.neg().concat(first, 3).mul(sin));
    }
}
