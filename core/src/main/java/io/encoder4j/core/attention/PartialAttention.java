package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;

/**
 * Softmax attention over one subset of the keys, kept with the log of its normaliser so that attention over
 * disjoint key subsets can be merged into exactly the softmax over their union (the log-sum-exp identity that
 * Longformer's global keys, Long-Short's dual branches and Reformer's hash rounds rely on).
 *
 * @param output (B, H, N, D) softmax-weighted values over the subset
 * @param logNormalizer (B, H, N, 1) log sum exp of the subset's scores; about {@link AttentionMasks#MASKED_SCORE}
 *     when the subset holds no visible key
 */
public record PartialAttention(NDArray output, NDArray logNormalizer) {

    /**
     * Softmax over the last axis of {@code scores}, with its log-normaliser only when asked (the fused softmax is
     * cheaper when nothing is merged).
     *
     * @return {probabilities, log-normaliser (..., 1) or {@code null}}
     */
    public static NDArray[] softmax(NDArray scores, boolean withLogNormalizer) {
        return withLogNormalizer ? softmaxWithLogNormalizer(scores) : new NDArray[] {scores.softmax(-1), null};
    }

    /** Softmax over the last axis of {@code scores} (B, H, ..., K) with its log-normaliser. */
    public static NDArray[] softmaxWithLogNormalizer(NDArray scores) {
        NDArray max = scores.max(new int[] {-1}, true).stopGradient();
        NDArray shifted = scores.sub(max);
        NDArray exp = shifted.exp();
        // exp's backward uses its output: the shifted scores can go now (see BandedAttention on closing early).
        shifted.close();
        NDArray sum = exp.sum(new int[] {-1}, true);
        return new NDArray[] {exp.div(sum), sum.log().add(max)};
    }

    /** The exact softmax attention over the union of the two (disjoint) key subsets. */
    public PartialAttention merge(PartialAttention other) {
        NDArray max = logNormalizer.maximum(other.logNormalizer).stopGradient();
        NDArray wa = logNormalizer.sub(max).exp();
        NDArray wb = other.logNormalizer.sub(max).exp();
        NDArray total = wa.add(wb);
        NDArray out = output.mul(wa).add(other.output.mul(wb)).div(total);
        return new PartialAttention(out, total.log().add(max));
    }

    /** The output with the rows that saw no visible key set to 0 (their softmax was over masked keys only). */
    public NDArray outputZeroingEmptyRows() {
        NDArray visible = logNormalizer.gt(AttentionMasks.maskedScore(logNormalizer.getDataType()) / 2).toType(output.getDataType(), false);
        return output.mul(visible);
    }
}
