package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.Initializer;
import io.encoder4j.core.tensor.Scalars;
import java.util.Random;

/**
 * Performer attention with FAVOR+ (Choromanski et al. 2021, "Rethinking Attention with Performers"): softmax
 * attention approximated by positive orthogonal random features, in O(N m D) time and O(m D) memory per head.
 *
 * <p><b>Softmax kernel</b> ({@code kernel: softmax}, Lemma 1 / eq. 7 of the paper): with x scaled by D^{-1/4} so
 * that x·y is the q·k/sqrt(D) of full attention, exp(x·y) = E_w[exp(w·x - |x|²/2) exp(w·y - |y|²/2)] for
 * w ~ N(0, I_D), estimated with φ(x) = exp(W x - |x|²/2 - c) / sqrt(m). The stabiliser c cancels in the ratio
 * below: for queries it is the maximum of W x over the features of each query row (exp(-|q|²/2) / sqrt(m) is a
 * per-row factor too and is not computed); for keys it is one maximum of the exponent W k - |k|²/2 over all
 * features, heads and real keys of the sequence (padded keys are excluded, so they cannot change the result), so
 * that the largest key feature is 1 (the global 1/sqrt(m) is not computed either); both are taken without
 * gradient. Stabilised exponents are clamped at -35 from below, which keeps float32 out of subnormal numbers (see
 * {@link #EXPONENT_FLOOR}). <b>ReLU kernel</b> ({@code kernel: relu}, the paper's generalised attention):
 * φ(x) = relu(W x) / sqrt(m) + 1e-3, the small constant of the reference implementation keeping denominators
 * positive. Either way the output is that of linear attention (eq. 5-6 of Katharopoulos et al., see
 * {@link LinearAttention}): out_i = φ(q_i)^T Σ_j φ(k_j) v_j^T / φ(q_i)^T Σ_j φ(k_j), with padded keys' features 0.
 *
 * <p><b>Features</b> (section 2.4, orthogonal random features): W (m × D, m = {@code num_features}) is built on
 * the host in double precision from blocks of D rows, each block the Gram–Schmidt orthonormalisation of a D × D
 * Gaussian matrix (the last block keeps only the rows still needed), every row then rescaled by the norm of an
 * independent D-dimensional Gaussian vector (chi-distributed with D degrees of freedom), so that each row is
 * marginally N(0, I_D) while the rows within a block stay exactly orthogonal. One W is shared by all heads of a
 * layer, as in the reference implementation. Draw number t is a deterministic function of
 * {@code build.layerSeed()} and t.
 *
 * <p>W is a non-trainable buffer saved with the model. With {@code redraw_interval} r &gt; 0, every draw serves r
 * training forward passes: at the start of training passes r+1, 2r+1, ... the next draw is written into the
 * existing array in place (at the start of a pass, never after it, because the previous pass's backward needs the
 * W it used). Evaluation passes neither redraw nor count. The draw counter is not saved: a reloaded model keeps
 * the saved W and restarts the counter. There is no probability matrix, so the configured dropout is not used.
 */
public final class PerformerAttention extends SelfAttention {

    public static final String NAME = "performer";

    /** Added to relu features (reference implementation's {@code numerical_stabilizer}). */
    private static final double RELU_EPS = 1e-3;
    /**
     * Lower clamp of the softmax features' (stabilised, so <= 0) exponents: features of at least e^-35 keep every
     * product of a query and a key feature (>= e^-70) a normal float32 number (subnormal arithmetic is one to two
     * orders of magnitude slower on CPUs) and keep denominators positive without the reference implementation's
     * additive 1e-6; a feature below e^-35 of the largest one contributes nothing measurable.
     */
    private static final double EXPONENT_FLOOR = -35;

    private final int numFeatures;
    private final boolean softmaxKernel;
    private final int redrawInterval;
    private final long seed;
    private final Parameter features;
    private long trainingPasses;
    private long draws;

    public PerformerAttention(AttentionBuild build) {
        super(build);
        AttentionConfig config = build.config();
        this.numFeatures = config.numFeatures();
        this.softmaxKernel = "softmax".equals(config.kernel());
        this.redrawInterval = config.redrawInterval();
        this.seed = build.layerSeed();
        int m = numFeatures;
        int d = headSize;
        long s = seed;
        this.features = addParameter(Parameter.builder()
                .setName("random_features")
                .setType(Parameter.Type.OTHER)
                .optShape(new Shape(m, d))
                .optRequiresGrad(false)
                .optInitializer(new HostInitializer(() -> orthogonalGaussian(m, d, s, 0)))
                .build());
    }

    @Override
    protected NDArray attendHeads(NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training) {
        // q, k, v: (B, H, N, D); W: (m, D)
        // A reversible layer's recomputation (ctx.replay) is the same pass again: it must see the same features.
        if (training && !ctx.replay()) {
            if (redrawInterval > 0 && trainingPasses > 0 && trainingPasses % redrawInterval == 0) {
                redraw();
            }
            trainingPasses++;
        }
        NDArray w = features.getArray().toType(q.getDataType(), false);
        NDArray mask = ctx.paddingMask().toType(q.getDataType(), false);
        NDArray phiQ;
        NDArray phiK;
        if (softmaxKernel) {
            double scale = Math.pow(headSize, -0.25);
            phiQ = queryFeatures(Scalars.mul(q, scale), w);
            phiK = keyFeatures(Scalars.mul(k, scale), w, ctx.additiveKeyMask(), mask);
        } else {
            // Linear.linear(x, W) = x W^T with the activation as first operand (DJL-NOTES: memory ownership).
            NDArray keyMask = LinearAttention.keyMask(mask);
            phiQ = Scalars.div(Activation.relu(Linear.linear(q, w).singletonOrThrow()), Math.sqrt(numFeatures))
                    .add(RELU_EPS);
            phiK = Scalars.div(Activation.relu(Linear.linear(k, w).singletonOrThrow()), Math.sqrt(numFeatures))
                    .add(RELU_EPS).mul(keyMask);
        }
        NDArray[] nd = LinearAttention.numeratorDenominator(phiQ, phiK, v);
        return nd[0].div(nd[1].add(LinearAttention.noKeyRows(mask)));
    }

    /**
     * Positive random query features exp(W x - |x|²/2 - c) / sqrt(m) (FAVOR+, Lemma 1) up to a factor per row:
     * exp(-|x|²/2) / sqrt(m) and the stabiliser c = max_l (W x)_l multiply the row's numerator and denominator
     * alike, so only exp(W x - c) is computed.
     *
     * @param x (B, H, N, D), already scaled by D^{-1/4}
     */
    private static NDArray queryFeatures(NDArray x, NDArray w) {
        // (B, H, N, m)
        NDArray wx = Linear.linear(x, w).singletonOrThrow();
        return clampedExp(wx.sub(wx.max(new int[] {-1}, true).stopGradient()));
    }

    /**
     * Positive random key features exp(W x - |x|²/2 - c) up to one factor per sequence (1/sqrt(m) and the
     * stabiliser c, the maximum of the exponent over the features, heads and real keys of the sequence, so that the
     * largest feature is 1), which cancels between numerator and denominator; 0 at padded keys.
     *
     * @param x (B, H, N, D), already scaled by D^{-1/4}
     * @param additiveKeyMask (B, 1, 1, N) 0 / -1e9
     * @param paddingMask (B, N)
     */
    private static NDArray keyFeatures(NDArray x, NDArray w, NDArray additiveKeyMask, NDArray paddingMask) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(2);
        // (B, H, N, m)
        NDArray exponent = Linear.linear(x, w).singletonOrThrow().sub(Scalars.div(x.square().sum(new int[] {-1}, true), 2));
        NDArray additive = additiveKeyMask.toType(x.getDataType(), false).reshape(b, 1, n, 1);
        // Padded keys get -1e9 before the maximum, so they cannot change it.
        NDArray stabiliser = exponent.add(additive).reshape(b, -1).max(new int[] {1}, true).reshape(b, 1, 1, 1)
                // A sequence without real keys would get ~-1e9: use 0 there.
                .mul(LinearAttention.noKeyRows(paddingMask).neg().add(1)).stopGradient();
        // The mask is added after the clamp: padded keys' features are exactly 0, whatever their values.
        return exponent.sub(stabiliser).maximum(EXPONENT_FLOOR).add(additive).exp();
    }

    /** exp(max(x, -35)) for x <= 0 (see {@link #EXPONENT_FLOOR}). */
    private static NDArray clampedExp(NDArray x) {
        return x.maximum(EXPONENT_FLOOR).exp();
    }

    /** Writes the next draw into the existing buffer in place. */
    private void redraw() {
        draws++;
        NDArray array = features.getArray();
        double[] values = orthogonalGaussian(numFeatures, headSize, seed, draws);
        try (NDManager scratch = array.getManager().newSubManager()) {
            NDArray fresh = scratch.create(values, new Shape(numFeatures, headSize)).toType(array.getDataType(), false);
            array.set(new NDIndex(":, :"), fresh);
        }
    }

    /** The feature matrix W (m, D), for tests and inspection. */
    NDArray featureMatrix() {
        return features.getArray();
    }

    /**
     * Row-major (m × D) positive orthogonal random features of draw {@code draw}: blocks of D Gram–Schmidt
     * orthonormalised Gaussian rows, each row scaled by the norm of an independent Gaussian vector.
     */
    static double[] orthogonalGaussian(int m, int d, long seed, long draw) {
        Random random = new Random(seed * 0x9E3779B97F4A7C15L + draw * 0xC2B2AE3D27D4EB4FL + 1);
        double[] w = new double[m * d];
        for (int start = 0; start < m; start += d) {
            double[][] block = new double[d][d];
            for (int r = 0; r < d; r++) {
                for (int c = 0; c < d; c++) {
                    block[r][c] = random.nextGaussian();
                }
            }
            // Modified Gram–Schmidt: a Gaussian square matrix has full rank with probability 1.
            for (int r = 0; r < d; r++) {
                for (int p = 0; p < r; p++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += block[r][c] * block[p][c];
                    }
                    for (int c = 0; c < d; c++) {
                        block[r][c] -= dot * block[p][c];
                    }
                }
                double norm = 0;
                for (int c = 0; c < d; c++) {
                    norm += block[r][c] * block[r][c];
                }
                norm = Math.sqrt(norm);
                for (int c = 0; c < d; c++) {
                    block[r][c] /= norm;
                }
            }
            for (int r = 0; r < d && start + r < m; r++) {
                // Chi(D) length: the row is then distributed like a N(0, I_D) vector (paper, section 2.4).
                double length = 0;
                for (int c = 0; c < d; c++) {
                    double g = random.nextGaussian();
                    length += g * g;
                }
                length = Math.sqrt(length);
                for (int c = 0; c < d; c++) {
                    w[(start + r) * d + c] = block[r][c] * length;
                }
            }
        }
        return w;
    }

    /** Fills a buffer with values computed on the host, in the requested type. */
    static final class HostInitializer implements Initializer {

        private final java.util.function.Supplier<double[]> values;

        HostInitializer(java.util.function.Supplier<double[]> values) {
            this.values = values;
        }

        @Override
        public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
            NDArray host = manager.create(values.get(), shape);
            if (dataType == DataType.FLOAT64) {
                return host;
            }
            NDArray converted = host.toType(dataType, false);
            host.close();
            return converted;
        }
    }
}
