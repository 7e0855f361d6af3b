package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import io.encoder4j.core.tensor.Scalars;

/**
 * Scaled dot-product softmax attention over all key positions (Vaswani et al. 2017, eq. 1): the exact baseline
 * every efficient mechanism is measured against. Memory is O(N^2) per head.
 */
public final class FullAttention extends ExactPatternAttention {

    public static final String NAME = "full";

    private final float scale;

    public FullAttention(AttentionBuild build) {
        super(build);
        this.scale = (float) (1.0 / Math.sqrt(headSize));
    }

    @Override
    protected PartialAttention pattern(NDArray q, NDArray k, NDArray v, NDArray additiveKeyMask, boolean training,
            boolean withLse) {
        // (B, H, N, D) x (B, H, D, N) -> (B, H, N, N); scaling q first costs N*D instead of N*N.
        NDArray raw = Scalars.mul(q, scale).matMul(k.transpose(0, 1, 3, 2));
        NDArray scores = raw.add(additiveKeyMask);
        // Closed early, as autograd keeps neither (an addition's operand, a softmax's input): N^2 each.
        raw.close();
        NDArray[] pl = PartialAttention.softmax(scores, withLse);
        scores.close();
        return new PartialAttention(dropProbabilities(pl[0], training).matMul(v), pl[1]);
    }
}
