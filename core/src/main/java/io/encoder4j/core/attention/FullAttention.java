package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;

/**
 * Scaled dot-product softmax attention over all key positions (Vaswani et al. 2017, eq. 1): the exact baseline
 * every efficient mechanism is measured against. Memory is O(N^2) per head.
 */
public final class FullAttention extends SelfAttention {

    public static final String NAME = "full";

    private final float scale;

    public FullAttention(int hiddenSize, int numHeads, float dropout) {
        super(hiddenSize, numHeads, dropout);
        this.scale = (float) (1.0 / Math.sqrt(headSize));
    }

    @Override
    protected NDArray attendHeads(
            NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training) {
        // (B, H, N, D) x (B, H, D, N) -> (B, H, N, N); scaling q first costs N*D instead of N*N.
        NDArray scores = q.mul(scale).matMul(k.transpose(0, 1, 3, 2)).add(ctx.additiveKeyMask());
        NDArray probs = scores.softmax(-1);
        if (training && dropout > 0) {
            probs = Dropout.dropout(probs, dropout, true).singletonOrThrow();
        }
        return probs.matMul(v);
    }
}
