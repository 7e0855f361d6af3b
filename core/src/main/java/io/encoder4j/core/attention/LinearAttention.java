package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * Linear attention (Katharopoulos et al. 2020, "Transformers are RNNs", eq. 4-6): the softmax similarity is
 * replaced by the kernel sim(q, k) = φ(q)·φ(k) with the feature map φ(x) = elu(x) + 1 (eq. 7), so that by
 * associativity
 *
 * <pre>
 *   out_i = φ(q_i)^T (Σ_j φ(k_j) v_j^T) / (φ(q_i)^T Σ_j φ(k_j))          (eq. 5-6)
 * </pre>
 *
 * costs O(N D^2) time and O(D^2) memory per head instead of O(N^2 D). Padded keys are removed by multiplying
 * φ(k) with the padding mask, which zeroes their terms in both sums. φ is positive, so every row that sees a real
 * key has a positive denominator; a sequence without real keys gets a denominator of 1 (its numerator is 0), so
 * its output is 0 rather than NaN. There is no probability matrix to apply attention dropout to, so the configured
 * dropout is not used.
 *
 * <p>The static helpers are the shared normalised kernel attention of the feature-map mechanisms (Performer, RFA).
 */
public final class LinearAttention extends SelfAttention {

    public static final String NAME = "linear";

    public LinearAttention(AttentionBuild build) {
        super(build);
    }

    @Override
    protected NDArray attendHeads(NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training) {
        // q, k, v: (B, H, N, D)
        NDArray mask = ctx.paddingMask().toType(q.getDataType(), false);
        NDArray phiQ = elu1(q);
        NDArray phiK = elu1(k).mul(keyMask(mask));
        NDArray[] nd = numeratorDenominator(phiQ, phiK, v);
        return nd[0].div(nd[1].add(noKeyRows(mask)));
    }

    /** φ(x) = elu(x) + 1 (eq. 7): positive, and linear (not exponential) for large inputs. */
    static NDArray elu1(NDArray x) {
        return Activation.elu(x, 1f).add(1);
    }

    /** (B, N) padding mask as (B, 1, N, 1), broadcast over heads and features. */
    static NDArray keyMask(NDArray paddingMask) {
        long b = paddingMask.getShape().get(0);
        long n = paddingMask.getShape().get(1);
        return paddingMask.reshape(b, 1, n, 1);
    }

    /** (B, 1, 1, 1): 1 for sequences without any real token, else 0 (added to denominators to avoid 0/0). */
    static NDArray noKeyRows(NDArray paddingMask) {
        long b = paddingMask.getShape().get(0);
        return paddingMask.max(new int[] {1}, true).neg().add(1).reshape(b, 1, 1, 1);
    }

    /**
     * The two associative sums of eq. 5: numerator φ(q_i)^T Σ_j φ(k_j) v_j^T and denominator φ(q_i)^T Σ_j φ(k_j).
     *
     * @param phiQ (B, H, N, F) query features
     * @param phiK (B, H, N, F) key features, already 0 at padded keys
     * @param v (B, H, N, D)
     * @return {(B, H, N, D) numerator, (B, H, N, 1) denominator}
     */
    static NDArray[] numeratorDenominator(NDArray phiQ, NDArray phiK, NDArray v) {
        // (B, H, F, N) x (B, H, N, D) -> (B, H, F, D): the D x F summary that makes the cost linear in N.
        NDArray kv = phiK.transpose(0, 1, 3, 2).matMul(v);
        // (B, H, F, 1): Σ_j φ(k_j), the normaliser's summary.
        NDArray z = phiK.sum(new int[] {2}, true).transpose(0, 1, 3, 2);
        return new NDArray[] {phiQ.matMul(kv), phiQ.matMul(z)};
    }
}
