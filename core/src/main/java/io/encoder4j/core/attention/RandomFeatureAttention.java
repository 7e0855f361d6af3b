package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import io.encoder4j.core.tensor.Scalars;
import java.util.Random;

/**
 * Random Feature Attention (Peng et al. 2021, "Random Feature Attention", section 3): softmax attention on
 * L2-normalised queries and keys approximated with random Fourier features, in O(N m D) time per head.
 *
 * <p><b>Kernel and temperature.</b> Queries and keys are normalised per head (q̂ = q / |q|), and
 * φ(x) = sqrt(1/m) [sin(W x), cos(W x)] (eq. 2) with W (m × D, m = {@code num_features}) drawn i.i.d. with
 * standard deviation s. By Bochner's theorem (Rahimi &amp; Recht 2007), φ(x)·φ(y) = (1/m) Σ_i cos(w_i·(x - y)) is
 * an unbiased estimate of exp(-s² |x - y|² / 2); for unit vectors |x - y|² = 2 - 2 x·y, so the estimate is
 * exp(-s²) exp(s² q̂·k̂), and after normalisation RFA approximates softmax(s² q̂·k̂) (eq. 3). The paper writes the
 * kernel as exp(-|x - y|²/(2σ²)), which corresponds to entries of variance s² = 1/σ². We fix the inverse
 * temperature 1/σ² = s² = sqrt(D) / 2 ({@link #inverseTemperature}): with scores in [-1, 1] this allows a weight
 * ratio of e^{sqrt(D)} between aligned and opposite keys (e^8 at D = 64), like the q·k/sqrt(D) spread of full
 * attention, while the kernel at orthogonal keys, e^{-sqrt(D)/2}, stays large enough for a few hundred features to
 * estimate (the estimator's error is O(1/sqrt(m)) in absolute terms, so sharper temperatures need many more
 * features). W is a non-trainable buffer drawn on the host from {@code build.layerSeed()}, shared by the heads of
 * a layer and saved with the model; it is never redrawn.
 *
 * <p><b>Denominator guard.</b> With sin/cos features the estimated denominator φ(q_i)·Σ_j ω_j φ(k_j) can be
 * small or negative. The exact denominator Σ_j ω_j exp(-s²|q̂ - k̂_j|²/2) is at least exp(-2 s²) Σ_j ω_j (opposite
 * unit vectors are the farthest apart), so the estimate is clamped from below to exp(-2 s²) W_i, where W_i is
 * Σ_j ω_j or a lower bound of it (below), plus 1e-30 so that sequences without real keys (numerator 0) give 0. The
 * clamp only moves the estimate into the range the exact value can take, and since |φ(x)·φ(y)| ≤ 1, |output| stays
 * below about 1.3 e^{2 s²} max|v|. Without the gate ω_j = 1 at every real key, so W_i is the number of real keys.
 *
 * <p><b>Gate</b> ({@code gate: true}, RFA-Gate, eq. 7): g_t = sigmoid(w_g · x_t + b_g) per head, read from the
 * hidden state x (parameters E → H; the bias starts at 2, g ≈ 0.88, a recency prior the model can unlearn), and
 * S_t = g_t S_{t-1} + (1 - g_t) φ(k_t) v_t^T, z_t = g_t z_{t-1} + (1 - g_t) φ(k_t). The paper's recurrence runs left
 * to right; an encoder is bidirectional, so it is applied in both directions: a forward scan over j ≤ t and a
 * backward scan over j &gt; t (strictly, so that token t is counted once), and
 * out_t = φ(q_t)^T (S^fwd_t + S^bwd_t) / φ(q_t)^T (z^fwd_t + z^bwd_t). Padded positions pass the state through
 * unchanged: g = 1 and input weight 0. Unrolled, with G_t = Σ_{l ≤ t} log g_l, key j enters query t with weight
 * ω_tj = (1 - g_j) exp(G_t - G_j) forward (j ≤ t) and (1 - g_j) exp(G_{j-1} - G_t) backward (j &gt; t); the
 * weights of a direction telescope to 1 - e^x with x = G_t (forward) or G_N - G_t (backward), and the clamp uses
 * the lower bound 1 - e^x ≥ -x / (1 - x), which, unlike 1 - e^x, loses no precision when the gates are close to 1.
 *
 * <p><b>Chunked scans.</b> No per-position loop. log g = -softplus(-a) is finite for any logit a. The sequence is
 * padded (with pass-through positions) to chunks of C = min(64, N) positions. Inside a chunk one C × C matrix
 * holds the decays of both directions, exp(G_t - G_j) for j ≤ t and exp(G_{j-1} - G_t) for j &gt; t, computed from
 * cumulative log-gates within the chunk (each exponent is a sum of log-gates, ≤ 0, so nothing overflows), and
 * multiplies the chunk's φ(q)φ(k)^T, computed once for both directions. Each chunk's inputs, decayed to its end
 * (forward) and to its start (backward), are summed for all chunks at once; two loops over the N/C chunks carry the
 * states, S_c = e^{(log-gates of chunk c)} S_{c-1} + U_c from the left and R_c = V_{c+1} + e^{(log-gates of chunk
 * c+1)} R_{c+1} from the right, and query t reads the state entering its chunk from each side, decayed by the gates
 * between it and the chunk's edge. The value gets an extra column of ones so that numerators and denominators come
 * out of the same products. Decays below e^-30 are set to exactly 0 ({@link #decayExp}): such keys contribute
 * nothing measurable, and float32 would otherwise compute with subnormal numbers, which is one to two orders of
 * magnitude slower on CPUs (gates of 0.2 reach e^-100 within one chunk). Attention dropout is not used (there is no
 * probability matrix).
 */
public final class RandomFeatureAttention extends SelfAttention {

    public static final String NAME = "rfa";

    /** Chunk length C of the gated scans. */
    static final int CHUNK = 64;
    /** Added to the denominator floor so that sequences without real keys give 0 / 1e-30 = 0. */
    static final double TINY = 1e-30;
    /** Log-decays below this count as 0 in the gated scans (see {@link #decayExp}). */
    static final double DECAY_CUTOFF = -30;
    /** Initial gate bias: sigmoid(2) ≈ 0.88, an effective span of about 8 tokens per direction at the start. */
    static final float GATE_BIAS_INIT = 2f;

    private final int numFeatures;
    private final boolean gated;
    private final double inverseTemperature;
    private final Parameter features;
    private final Parameter gateWeight;
    private final Parameter gateBias;

    public RandomFeatureAttention(AttentionBuild build) {
        super(build);
        this.numFeatures = build.config().numFeatures();
        this.gated = Boolean.TRUE.equals(build.config().gate());
        this.inverseTemperature = Math.sqrt(headSize) / 2;
        int m = numFeatures;
        int d = headSize;
        long seed = build.layerSeed();
        double std = Math.sqrt(inverseTemperature);
        this.features = addParameter(Parameter.builder()
                .setName("random_features")
                .setType(Parameter.Type.OTHER)
                .optShape(new Shape(m, d))
                .optRequiresGrad(false)
                .optInitializer(new PerformerAttention.HostInitializer(() -> gaussian(m, d, std, seed)))
                .build());
        if (gated) {
            this.gateWeight = addParameter(Parameter.builder()
                    .setName("gate_weight")
                    .setType(Parameter.Type.WEIGHT)
                    .optShape(new Shape(numHeads, hiddenSize))
                    .build());
            this.gateBias = addParameter(Parameter.builder()
                    .setName("gate_bias")
                    .setType(Parameter.Type.BIAS)
                    .optShape(new Shape(numHeads))
                    .optInitializer(new ConstantInitializer(GATE_BIAS_INIT))
                    .build());
        } else {
            this.gateWeight = null;
            this.gateBias = null;
        }
    }

    /** s² = 1/σ²: RFA approximates softmax(s² q̂·k̂). */
    double inverseTemperature() {
        return inverseTemperature;
    }

    /** The smallest value of the exact kernel exp(-s²|x - y|²/2) on unit vectors (|x - y| = 2). */
    double kernelMinimum() {
        return Math.exp(-2 * inverseTemperature);
    }

    /** The feature matrix W (m, D), for tests and inspection. */
    NDArray featureMatrix() {
        return features.getArray();
    }

    @Override
    public NDArray attend(ParameterStore ps, NDArray hidden, AttentionContext ctx, boolean training) {
        if (!gated) {
            return super.attend(ps, hidden, ctx, training);
        }
        // hidden: (B, N, E)
        NDArray q = positionedHeads(ps, query, hidden, ctx, training);
        NDArray k = positionedHeads(ps, key, hidden, ctx, training);
        NDArray v = heads(ps, value, hidden, training);
        NDArray wg = ps.getValue(gateWeight, hidden.getDevice(), training);
        NDArray bg = ps.getValue(gateBias, hidden.getDevice(), training);
        // (B, N, E) -> (B, N, H) -> (B, H, N, 1): one gate logit per head and position.
        NDArray logits = Linear.linear(hidden, wg, bg).singletonOrThrow().transpose(0, 2, 1).expandDims(3);
        NDArray context = gatedAttention(q, k, v, logits, ctx.paddingMask());
        return project(ps, output, Heads.merge(context), training);
    }

    @Override
    protected NDArray attendHeads(NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training) {
        // q, k, v: (B, H, N, D)
        if (gated) {
            throw new UnsupportedOperationException("gated RFA reads its gates from the hidden states: use attend");
        }
        long b = q.getShape().get(0);
        NDArray mask = ctx.paddingMask().toType(q.getDataType(), false);
        NDArray w = features.getArray().toType(q.getDataType(), false);
        NDArray phiQ = featureMap(q, w);
        NDArray phiK = featureMap(k, w).mul(LinearAttention.keyMask(mask));
        NDArray[] nd = LinearAttention.numeratorDenominator(phiQ, phiK, v);
        // Every real key has weight 1: floor = exp(-2 s²) * (number of real keys) + TINY.
        NDArray floor = mask.sum(new int[] {1}, true).reshape(b, 1, 1, 1).mul(kernelMinimum()).add(TINY);
        return nd[0].div(nd[1].maximum(floor));
    }

    /**
     * Bidirectional RFA-Gate.
     *
     * @param q (B, H, N, D)
     * @param gateLogits (B, H, N, 1) the pre-sigmoid gates a_t = w_g · x_t + b_g
     * @param paddingMask (B, N) 1 at real tokens
     * @return (B, H, N, D)
     */
    NDArray gatedAttention(NDArray q, NDArray k, NDArray v, NDArray gateLogits, NDArray paddingMask) {
        // q, k, v: (B, H, N, D)
        Shape s = q.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long n = s.get(2);
        long d = s.get(3);
        DataType type = q.getDataType();
        NDArray keyMask = LinearAttention.keyMask(paddingMask.toType(type, false));
        NDArray w = features.getArray().toType(type, false);
        NDArray a = gateLogits.toType(type, false);
        // log g = log sigmoid(a) = -softplus(-a), finite for any a; 0 (g = 1) at padded positions.
        NDArray logGate = Activation.softPlus(a.neg()).neg().mul(keyMask);
        // 1 - g = sigmoid(-a): the weight of a position's own input; 0 at padded positions.
        NDArray inputWeight = Activation.sigmoid(a.neg()).mul(keyMask);
        NDArray phiQ = featureMap(q, w);
        NDArray phiK = featureMap(k, w).mul(inputWeight);
        // (B, H, N, D + 1): the ones column turns the numerator scan into the denominator's too.
        NDArray u = v.concat(v.getManager().ones(new Shape(b, h, n, 1), type), 3);

        int chunk = (int) Math.min(CHUNK, n);
        long padded = SequencePadding.paddedLength(n, chunk);
        // Padding positions have log g = 0 and no input: the state passes through them.
        NDArray pq = SequencePadding.append(phiQ, 2, padded - n, 0f);
        NDArray pk = SequencePadding.append(phiK, 2, padded - n, 0f);
        NDArray pu = SequencePadding.append(u, 2, padded - n, 0f);
        NDArray pg = SequencePadding.append(logGate, 2, padded - n, 0f);
        NDArray both = bidirectionalScan(pq, pk, pu, pg, chunk);
        if (padded != n) {
            both = both.get(":, :, 0:" + n);
        }
        NDArray numerator = both.get(":, :, :, 0:" + d);
        NDArray denominator = both.get(":, :, :, " + d + ":");

        // Total gate weight of the keys each query sees, (1 - e^{G_t}) + (1 - e^{G_N - G_t}), bounded from below
        // by 1 - e^x >= -x / (1 - x) (x <= 0), which has no cancellation when the gates are close to 1.
        NDArray forwardLog = logGate.cumSum(2);
        NDArray backwardLog = forwardLog.get(":, :, " + (n - 1) + ":").sub(forwardLog);
        NDArray weight = weightBound(forwardLog).add(weightBound(backwardLog));
        NDArray floor = Scalars.mul(weight, kernelMinimum()).add(TINY);
        return numerator.div(denominator.maximum(floor));
    }

    /** φ(x) = sqrt(1/m) [sin(W x̂), cos(W x̂)] on the per-head unit vector x̂ (eq. 2): (B, H, N, D) -> (B, H, N, 2m). */
    private NDArray featureMap(NDArray x, NDArray w) {
        NDArray unit = x.div(x.square().sum(new int[] {-1}, true).add(1e-12).sqrt());
        // Linear.linear(x, W) = x W^T with the activation as first operand (DJL-NOTES: memory ownership).
        NDArray wx = Linear.linear(unit, w).singletonOrThrow();
        return Scalars.div(wx.sin().concat(wx.cos(), -1), Math.sqrt(numFeatures));
    }

    /**
     * Chunked bidirectional gated sums: out_t = Σ_{j ≤ t} exp(G_t - G_j) φ(q_t)·φ(k_j) u_j (forward) +
     * Σ_{j &gt; t} exp(G_{j-1} - G_t) φ(q_t)·φ(k_j) u_j (backward), where G is the cumulative log gate and φ(k)
     * already carries the input weights (1 - g_j).
     *
     * @param phiQ (B, H, N', F) with N' a multiple of {@code chunk}
     * @param phiK (B, H, N', F)
     * @param u (B, H, N', E)
     * @param logGate (B, H, N', 1)
     * @return (B, H, N', E)
     */
    private static NDArray bidirectionalScan(NDArray phiQ, NDArray phiK, NDArray u, NDArray logGate, int chunk) {
        Shape s = phiQ.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long np = s.get(2);
        long f = s.get(3);
        long e = u.getShape().get(3);
        int nc = (int) (np / chunk);
        // (B, H, nc, C, .)
        NDArray q5 = phiQ.reshape(b, h, nc, chunk, f);
        NDArray k5 = phiK.reshape(b, h, nc, chunk, f);
        NDArray u5 = u.reshape(b, h, nc, chunk, e);
        NDArray lg = logGate.reshape(b, h, nc, chunk);
        // (B, H, nc, C): log-gates summed from the chunk start to t, inclusive and exclusive (differences of these
        // equal differences of the global G).
        NDArray cum = lg.cumSum(3);
        NDArray excl = cum.sub(lg);
        // (B, H, nc, C, C), query t in rows, key j in columns: forward exponent G_t - G_j = Σ_{j<l≤t} log g on
        // j ≤ t, backward exponent G_{j-1} - G_t = Σ_{t<l<j} log g on j > t. Each triangle takes its own
        // exponent (both ≤ 0 there), so one exp gives the decays of both directions and the φ(q)·φ(k) products
        // of a chunk are computed once.
        NDArray[] triangles = triangles(phiQ, chunk);
        NDArray forwardExponent = cum.expandDims(4).sub(cum.expandDims(3)).mul(triangles[0]);
        NDArray backwardExponent = excl.expandDims(3).sub(cum.expandDims(4)).mul(triangles[1]);
        NDArray decay = decayExp(forwardExponent.add(backwardExponent));
        NDArray intra = q5.matMul(k5.transpose(0, 1, 2, 4, 3)).mul(decay).matMul(u5);
        if (nc == 1) {
            return intra.reshape(b, h, np, e);
        }
        // (B, H, nc, 1): the log of the product of a chunk's gates.
        NDArray last = cum.get(":, :, :, " + (chunk - 1) + ":");
        // (B, H, nc, F, E): each chunk's inputs decayed to its end (forward, exp(G_end - G_j)) and to its start
        // (backward, exp(G_{j-1} - G_start-1)).
        NDArray toEnd = decayExp(last.sub(cum)).expandDims(4);
        NDArray forwardIn = k5.mul(toEnd).transpose(0, 1, 2, 4, 3).matMul(u5);
        NDArray backwardIn = k5.mul(decayExp(excl).expandDims(4)).transpose(0, 1, 2, 4, 3).matMul(u5);
        NDList forwardParts = forwardIn.split(nc, 2);
        NDList backwardParts = backwardIn.split(nc, 2);
        NDList carries = decayExp(last).expandDims(4).split(nc, 2);
        NDArray zeros = phiQ.getManager().zeros(forwardParts.get(0).getShape(), phiQ.getDataType());
        // State entering chunk c from the left: S_c = exp(G_end,c-1 - G_end,c-2) S_{c-1} + U_{c-1}.
        NDArray[] entering = new NDArray[nc];
        entering[0] = zeros;
        NDArray state = forwardParts.get(0);
        for (int c = 1; c < nc; c++) {
            entering[c] = state;
            if (c + 1 < nc) {
                state = state.mul(carries.get(c)).add(forwardParts.get(c));
            }
        }
        // State entering chunk c from the right: R_c = V_{c+1} + exp(G_end,c+1 - G_end,c) R_{c+1}.
        NDArray[] leaving = new NDArray[nc];
        leaving[nc - 1] = zeros;
        state = backwardParts.get(nc - 1);
        for (int c = nc - 2; c >= 0; c--) {
            leaving[c] = state;
            if (c > 0) {
                state = state.mul(carries.get(c)).add(backwardParts.get(c));
            }
        }
        // (B, H, nc, F, 2E): both states side by side, read by one product per chunk.
        NDArray states = NDArrays.concat(new NDList(entering), 2).concat(NDArrays.concat(new NDList(leaving), 2), 4);
        NDArray read = q5.matMul(states);
        // Forward state decays by the gates from the chunk start to t, backward by those after t to the chunk end.
        NDArray inter = read.get(":, :, :, :, 0:" + e).mul(decayExp(cum).expandDims(4))
                .add(read.get(":, :, :, :, " + e + ":").mul(toEnd));
        return intra.add(inter).reshape(b, h, np, e);
    }

    /**
     * exp(x) for log-decays x <= 0, exactly 0 below {@link #DECAY_CUTOFF}: keys whose weight has decayed by more
     * than e^30 are dropped, so that float32 never computes with subnormal numbers (which CPUs process one to two
     * orders of magnitude more slowly: gates of 0.2 already give e^-100 across one chunk).
     */
    private static NDArray decayExp(NDArray x) {
        return x.add(x.lt(DECAY_CUTOFF).toType(x.getDataType(), false).mul(-1e4)).exp();
    }

    /** -x / (1 - x) for x = log Π g <= 0: a lower bound of the total weight 1 - Π g of one direction. */
    private static NDArray weightBound(NDArray x) {
        return x.neg().div(x.neg().add(1));
    }

    /** (C, C) 1/0 masks of the forward triangle j ≤ t and the backward triangle j &gt; t (t rows, j columns). */
    private static NDArray[] triangles(NDArray like, int chunk) {
        float[] lower = new float[chunk * chunk];
        float[] upper = new float[chunk * chunk];
        for (int t = 0; t < chunk; t++) {
            for (int j = 0; j < chunk; j++) {
                lower[t * chunk + j] = j <= t ? 1f : 0f;
                upper[t * chunk + j] = j <= t ? 0f : 1f;
            }
        }
        Shape shape = new Shape(chunk, chunk);
        DataType type = like.getDataType();
        return new NDArray[] {like.getManager().create(lower, shape).toType(type, false),
                like.getManager().create(upper, shape).toType(type, false)};
    }

    /** Row-major (m × D) i.i.d. N(0, std²) entries. */
    static double[] gaussian(int m, int d, double std, long seed) {
        Random random = new Random(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        double[] w = new double[m * d];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextGaussian() * std;
        }
        return w;
    }
}
