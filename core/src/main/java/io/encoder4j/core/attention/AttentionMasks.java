package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Pure mask constructions shared by all attention mechanisms. */
public final class AttentionMasks {

    /**
     * Added to the scores of masked keys. Finite, so that a row with no visible key yields a uniform distribution
     * instead of NaN; large enough that exp(score + MASKED) underflows to exactly 0 in float32.
     */
    public static final float MASKED_SCORE = -1e9f;

    /**
     * {@link #MASKED_SCORE} for FP16 masks (mixed precision, docs/training.md): -1e9 rounds to -inf in FP16, and
     * {@code 0 * -inf} is NaN, which turned every token's mask into NaN. -1e4 is finite in FP16 (largest 65504, so
     * a few masks can be added), and exp(-1e4) is still exactly 0.
     */
    public static final float MASKED_SCORE_FP16 = -1e4f;

    private AttentionMasks() {}

    /** The masked score for masks and scores of {@code type}. */
    public static float maskedScore(DataType type) {
        return type == DataType.FLOAT16 ? MASKED_SCORE_FP16 : MASKED_SCORE;
    }

    /** (B, N) 1/0 mask to the (B, 1, 1, N) additive mask broadcast over heads and queries, in the mask's type. */
    public static NDArray additiveKeyMask(NDArray paddingMask) {
        Shape s = paddingMask.getShape();
        // (1 - m) * MASKED: 0 for tokens, MASKED for padding.
        return paddingMask.neg().add(1f).mul(maskedScore(paddingMask.getDataType())).reshape(s.get(0), 1, 1,
                s.get(1));
    }
}
