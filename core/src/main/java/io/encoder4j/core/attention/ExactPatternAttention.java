package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;

/**
 * An attention mechanism that is exact softmax attention over a pattern of visible keys per query (full, BlockBERT
 * blocks, Longformer windows, BigBird blocks): its result can be returned as a {@link PartialAttention}, which is
 * what lets {@link GlobalAttention} add global tokens to any of them.
 */
public abstract class ExactPatternAttention extends SelfAttention {

    protected ExactPatternAttention(AttentionBuild build) {
        super(build);
    }

    /**
     * Softmax attention over the pattern's keys that {@code additiveKeyMask} leaves visible.
     *
     * @param q (B, H, N, D)
     * @param k (B, H, N, D)
     * @param v (B, H, N, D)
     * @param additiveKeyMask (B, 1, 1, N): 0 at keys that may be attended, MASKED_SCORE elsewhere
     * @param withLogNormalizer also compute the log-normaliser (skipped when only the output is needed)
     */
    protected abstract PartialAttention pattern(NDArray q, NDArray k, NDArray v, NDArray additiveKeyMask,
            boolean training, boolean withLogNormalizer);

    @Override
    protected NDArray attendHeads(NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training) {
        return pattern(q, k, v, ctx.additiveKeyMask(), training, false).output();
    }
}
