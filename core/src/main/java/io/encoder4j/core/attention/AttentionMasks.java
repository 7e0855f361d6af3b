package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Pure mask constructions shared by all attention mechanisms. */
public final class AttentionMasks {

    /**
     * Added to the scores of masked keys. Finite, so that a row with no visible key yields a uniform distribution
     * instead of NaN; large enough that exp(score + MASKED) underflows to exactly 0 in float32.
     */
    public static final float MASKED_SCORE = -1e9f;

    private AttentionMasks() {}

    /** (B, N) 1/0 mask to the (B, 1, 1, N) additive mask broadcast over heads and queries. */
    public static NDArray additiveKeyMask(NDArray paddingMask) {
        Shape s = paddingMask.getShape();
        // (1 - m) * MASKED: 0 for tokens, MASKED for padding.
        return paddingMask.neg().add(1f).mul(MASKED_SCORE).reshape(s.get(0), 1, 1, s.get(1));
    }
}
