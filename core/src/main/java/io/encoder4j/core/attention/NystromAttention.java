package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.initializer.NormalInitializer;
import io.encoder4j.core.tensor.Scalars;

/**
 * Nyströmformer (Xiong et al. 2021, "Nyströmformer: A Nyström-Based Algorithm for Approximating Self-Attention",
 * eq. 14): with m landmarks Q~, K~ (segment means of the queries and keys, section 3.3),
 * out = softmax(Q K~^T) pinv(softmax(Q~ K~^T)) softmax(Q~ K^T) V, all scores scaled by 1/sqrt(D), the pseudo-inverse
 * by the iterative approximation of section 3.3 (Razavi et al. 2014). Time and memory are O(N m + m^3).
 *
 * <p>Landmarks are taken over the real tokens of each sequence: with real length L, token t belongs to segment
 * floor(t m / L). When L &lt; m some segments are empty; their landmarks are masked as keys in kernels 1 and 2 and
 * kernel 2 is the identity on their rows and columns, so the pseudo-inverse of the non-empty block is unchanged and
 * they contribute nothing. Padded keys are masked in kernel 3, so padding never changes real outputs. With m &gt;= L
 * every real token is its own landmark and the formula is exactly softmax attention (once the iteration converged).
 *
 * <p>Optional (as in the authors' code): a depthwise convolution over the sequence axis of the values, one
 * (conv_kernel x 1) filter per head, added to the output. Dropout applies to kernel 1, the queries' probabilities
 * over landmarks (the output is linear in it, so inverted dropout keeps it unbiased).
 */
public final class NystromAttention extends SelfAttention {

    public static final String NAME = "nystrom";

    private final int numLandmarks;
    private final int iterations;
    /** The start of the pseudo-inverse iteration: per matrix, or transformers' one scale for the whole batch. */
    private final boolean batchStart;
    private final int convKernel;
    private final float scale;
    /** (H, 1, conv_kernel, 1) depthwise filters, or {@code null} when the convolution is off. */
    private final Parameter conv;

    public NystromAttention(AttentionBuild build) {
        super(build);
        this.numLandmarks = build.config().numLandmarks();
        this.iterations = build.config().pinvIterations();
        this.batchStart = "batch".equals(build.config().pinvInit());
        this.convKernel = build.config().convKernel();
        this.scale = (float) (1.0 / Math.sqrt(headSize));
        // The authors' and Hugging Face's init of the convolution: N(0, 0.02).
        this.conv = convKernel == 0 ? null : addParameter(Parameter.builder().setName("conv")
                .setType(Parameter.Type.WEIGHT).optShape(new Shape(numHeads, 1, convKernel, 1))
                .optInitializer(new NormalInitializer(0.02f)).build());
    }

    /** The depthwise convolution's weight parameter, or {@code null} when conv_kernel is 0. */
    public Parameter convolution() {
        return conv;
    }

    @Override
    protected NDArray attendHeads(NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training) {
        // q, k, v: (B, H, N, D); landmarks (B, H, m, D)
        long b = q.getShape().get(0);
        long n = q.getShape().get(2);
        int m = numLandmarks;
        DataType type = q.getDataType();
        NDArray mask = ctx.paddingMask();
        NDArray[] segments = segmentMeans(mask, m, type);
        NDArray averaging = segments[0];
        NDArray nonEmpty = segments[1];
        // Scaling the queries once scales every score by 1/sqrt(D); the query landmarks inherit it (means are linear).
        NDArray qs = Scalars.mul(q, scale);
        // Landmarks are segment means: (B, 1, m, N) x (B, H, N, D) -> (B, H, m, D).
        NDArray queryLandmarks = averaging.matMul(qs);
        NDArray keyLandmarksT = averaging.matMul(k).transpose(0, 1, 3, 2);
        // Empty landmarks are masked as keys: (B, 1, 1, m) additive, 0 or MASKED_SCORE.
        NDArray emptyKeys = nonEmpty.neg().add(1).mul(AttentionMasks.maskedScore(nonEmpty.getDataType()))
                .reshape(b, 1, 1, m);
        // Kernel 1, softmax(Q K~^T): (B, H, N, m).
        NDArray kernel1 = qs.matMul(keyLandmarksT).add(emptyKeys).softmax(-1);
        // Kernel 2, softmax(Q~ K~^T): (B, H, m, m), the identity on the rows and columns of empty landmarks so that
        // it is block diagonal [A, I] and its pseudo-inverse is [pinv(A), I].
        NDArray pairs = nonEmpty.reshape(b, 1, m, 1).mul(nonEmpty.reshape(b, 1, 1, m));
        NDArray identity = q.getManager().eye(m).toType(type, false);
        NDArray emptyDiagonal = nonEmpty.neg().add(1).reshape(b, 1, m, 1).mul(identity);
        NDArray kernel2 = queryLandmarks.matMul(keyLandmarksT).add(emptyKeys).softmax(-1).mul(pairs)
                .add(emptyDiagonal);
        // Kernel 3, softmax(Q~ K^T) over the real keys: (B, H, m, N).
        NDArray kernel3 = queryLandmarks.matMul(k.transpose(0, 1, 3, 2)).add(ctx.additiveKeyMask()).softmax(-1);
        // Eq. 14, right to left so that nothing larger than N x m is formed: (m, N)(N, D), (m, m)(m, D), (N, m)(m, D).
        NDArray landmarkValues = pseudoInverse(kernel2, iterations, batchStart).matMul(kernel3.matMul(v));
        NDArray out = dropProbabilities(kernel1, training).matMul(landmarkValues);
        if (conv != null) {
            // Depthwise (conv_kernel x 1) filters over the sequence axis of the zero-padded values, heads as
            // channels: zeroed padding and the convolution's own zero border add nothing.
            NDArray valuesReal = v.mul(mask.reshape(b, 1, n, 1));
            NDArray weight = conv.getArray();
            out = out.add(Conv2d.conv2d(valuesReal, weight, null, new Shape(1, 1), new Shape(convKernel / 2, 0),
                    new Shape(1, 1), numHeads).singletonOrThrow());
        }
        return out;
    }

    /**
     * The (B, 1, m, N) averaging matrix of the segments of each sequence's real tokens and the (B, m) indicator of
     * non-empty segments, built with tensor ops (no host sync): token t of a sequence with L real tokens belongs to
     * segment floor(t m / L).
     *
     * @param mask (B, N) 1 at real tokens, 0 at padding
     */
    static NDArray[] segmentMeans(NDArray mask, int m, DataType type) {
        long b = mask.getShape().get(0);
        long n = mask.getShape().get(1);
        NDManager manager = mask.getManager();
        // Index arithmetic in float64: t m is exact and floor(t m / L) never rounds across an integer.
        NDArray real = mask.toType(DataType.FLOAT64, false);
        NDArray position = real.cumSum(1).sub(1);
        NDArray length = real.sum(new int[] {1}, true).maximum(1);
        NDArray segment = position.mul(m).div(length).floor().reshape(b, 1, n);
        NDArray ids = manager.arange(0, m, 1, DataType.FLOAT64).reshape(1, m, 1);
        // member[b, j, t] = 1 when real token t is in segment j: (B, m, N).
        NDArray member = segment.eq(ids).toType(DataType.FLOAT64, false).mul(real.reshape(b, 1, n));
        NDArray count = member.sum(new int[] {2}, true);
        NDArray averaging = member.div(count.maximum(1)).toType(type, false).reshape(b, 1, m, n);
        NDArray nonEmpty = count.gt(0).toType(type, false).reshape(b, m);
        return new NDArray[] {averaging, nonEmpty};
    }

    /**
     * Moore–Penrose pseudo-inverse by the Newton–Schulz-type iteration of the paper (section 3.3, after Razavi et
     * al. 2014): Z0 = A^T / (max_i sum_j |A_ij| max_j sum_i |A_ij|), per matrix, and
     * Z_{k+1} = Z_k (13 I - A Z_k (15 I - A Z_k (7 I - A Z_k))) / 4.
     *
     * @param a (..., m, m)
     * @param batchStart Z0 = A^T / max(column sums over every matrix), transformers' {@code iterative_inv} with its
     *     default {@code init_option "original"}: rows of a softmax sum to 1, so its row factor is 1, and one scale
     *     serves the whole batch (less tight, so the iterations converge less far)
     */
    static NDArray pseudoInverse(NDArray a, int iterations, boolean batchStart) {
        Shape s = a.getShape();
        int rank = s.dimension();
        long m = s.get(rank - 1);
        NDArray abs = a.abs();
        // max row sum (||A||_inf) times max column sum (||A||_1) bounds the largest squared singular value, so the
        // iteration starts inside its region of convergence.
        NDArray z;
        if (batchStart) {
            z = a.swapAxes(rank - 2, rank - 1).div(abs.sum(new int[] {-2}).max());
        } else {
            NDArray rows = abs.sum(new int[] {-1}, true).max(new int[] {-2}, true);
            NDArray cols = abs.sum(new int[] {-2}, true).max(new int[] {-1}, true);
            z = a.swapAxes(rank - 2, rank - 1).div(rows.mul(cols));
        }
        NDArray identity = a.getManager().eye((int) m).toType(a.getDataType(), false);
        NDArray i7 = identity.mul(7);
        NDArray i13 = identity.mul(13);
        NDArray i15 = identity.mul(15);
        for (int i = 0; i < iterations; i++) {
            NDArray az = a.matMul(z);
            z = z.matMul(i13.sub(az.matMul(i15.sub(az.matMul(i7.sub(az)))))).mul(Scalars.of(z, 0.25));
        }
        return z;
    }
}
