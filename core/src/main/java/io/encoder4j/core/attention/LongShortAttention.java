package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import io.encoder4j.core.tensor.Scalars;

/**
 * Long-Short Transformer attention (Zhu et al. 2021, section 3): every query attends, in one softmax, to
 * <ul>
 *   <li>a short-term branch: the keys within w/2 positions on either side (sliding window, section 3.1), and</li>
 *   <li>a long-range branch: r global keys and values summarised from the whole sequence by a dynamic low-rank
 *       projection (section 3.2, eq. 3): P = softmax(K W_p) over the sequence axis, K̄ = P^T K, V̄ = P^T V, with
 *       W_p (D x r) learned per head. Padded positions are masked before the softmax, so they get weight 0.</li>
 * </ul>
 * DualLN (section 3.3): the two branches' keys and values live at different scales (K̄ is a weighted average of N
 * keys), so the local keys/values go through one LayerNorm (LN_L) and the global K̄/V̄ through another (LN_G), each
 * over the head dimension D with its own learned gamma/beta (shared by the heads), before the joint softmax (eq. 4).
 *
 * <p>The joint softmax over [window keys ; r global keys] is computed as two partial softmaxes merged with their
 * log-normalisers ({@link PartialAttention#merge}), which is exact. Time and memory are O(N (w + r)) per head.
 */
public final class LongShortAttention extends SelfAttention {

    public static final String NAME = "long_short";

    static final float LAYER_NORM_EPS = 1e-5f;

    private final int radius;
    private final int rank;
    /** 1 / sqrt(D), in double so that float64 runs are not rounded to float precision. */
    private final double scale;
    /** W_p (H, D, r): one dynamic-projection matrix per head. */
    private final Parameter projection;
    private final Parameter localGamma;
    private final Parameter localBeta;
    private final Parameter globalGamma;
    private final Parameter globalBeta;

    public LongShortAttention(AttentionBuild build) {
        super(build);
        this.radius = build.config().windowOf(build.layerIndex()) / 2;
        this.rank = build.config().rank();
        this.scale = 1.0 / Math.sqrt(headSize);
        this.projection = addParameter(Parameter.builder().setName("dynamic_projection")
                .setType(Parameter.Type.WEIGHT).optShape(new Shape(numHeads, headSize, rank)).build());
        this.localGamma = norm("local_norm_gamma", Parameter.Type.GAMMA);
        this.localBeta = norm("local_norm_beta", Parameter.Type.BETA);
        this.globalGamma = norm("global_norm_gamma", Parameter.Type.GAMMA);
        this.globalBeta = norm("global_norm_beta", Parameter.Type.BETA);
    }

    /** A (D) LayerNorm parameter: GAMMA starts at 1 and BETA at 0 (their types' default initialisers). */
    private Parameter norm(String name, Parameter.Type type) {
        return addParameter(Parameter.builder().setName(name).setType(type).optShape(new Shape(headSize)).build());
    }

    @Override
    protected NDArray attendHeads(NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training) {
        // (B, H, N, D)
        long b = q.getShape().get(0);
        long n = q.getShape().get(2);
        NDArray additiveKeyMask = ctx.additiveKeyMask();

        // Eq. (3): P = softmax over the sequence of K W_p, (B, H, N, D) x (H, D, r) -> (B, H, N, r); padded
        // positions masked so that they contribute nothing to K̄, V̄.
        NDArray logits = k.matMul(projection.getArray()).add(additiveKeyMask.reshape(b, 1, n, 1));
        NDArray pt = logits.softmax(2).transpose(0, 1, 3, 2);
        // (B, H, r, N) x (B, H, N, D) -> (B, H, r, D), then LN_G (DualLN).
        NDArray kBar = layerNorm(pt.matMul(k), globalGamma, globalBeta);
        NDArray vBar = layerNorm(pt.matMul(v), globalGamma, globalBeta);

        NDArray qs = q.mul(Scalars.of(q, scale));
        // Short-term branch: band |i - j| <= w/2 over LN_L keys and values.
        PartialAttention local = BandedAttention.attend(qs, layerNorm(k, localGamma, localBeta),
                layerNorm(v, localGamma, localBeta), additiveKeyMask.reshape(b, 1, n), radius, true,
                p -> dropProbabilities(p, training));
        // Long-range branch: dense softmax over the r global keys, (B, H, N, r); none of them is ever masked.
        NDArray[] pl = PartialAttention.softmaxWithLogNormalizer(qs.matMul(kBar.transpose(0, 1, 3, 2)));
        PartialAttention global = new PartialAttention(dropProbabilities(pl[0], training).matMul(vBar), pl[1]);
        // Eq. (4): one softmax over the union of both key sets.
        return local.merge(global).output();
    }


    /** LayerNorm over the last axis (D). */
    private static NDArray layerNorm(NDArray x, Parameter gamma, Parameter beta) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        return LayerNorm.layerNorm(x, new Shape(d), gamma.getArray(), beta.getArray(), LAYER_NORM_EPS)
                .singletonOrThrow();
    }
}
