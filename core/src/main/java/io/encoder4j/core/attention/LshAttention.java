package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import io.encoder4j.core.tensor.Scalars;
import java.util.Random;

/**
 * Reformer LSH attention (Kitaev et al. 2020, section 2), with shared queries and keys: there is no key projection,
 * the key of a position is its query normalised to unit length, k̂ = q / |q|, and scores are q · k̂ / sqrt(D).
 *
 * <p>Hashing (section 2, "Locality sensitive hashing"): for each of {@code num_hashes} rounds and each head a random
 * rotation R (D x b/2) assigns position x to bucket argmax([xR ; -xR]) among b = {@code num_buckets} buckets (b = 1
 * puts everything in bucket 0). Within a round, positions are sorted by (bucket, position), cut into chunks of
 * {@code chunk_size}, and each chunk attends to itself and the previous chunk of the same round (the chunked sets P̃_i of
 * section 2, figure 2). Padded positions get bucket b, after every real bucket, so they sort to the end and the chunks
 * of real positions do not depend on how much padding follows; the first chunk of a round has no previous chunk (no
 * wrap-around into padding). A query may not attend to its own key (its own score q · q̂ would dominate) unless
 * nothing else is visible: its own score is {@link #SELF_SCORE} instead of masked (section 2, "Causal masking for
 * shared-QK attention"). The rounds are combined with the weights softmax_r(log Z_r) of their log-normalisers
 * ("Multi-round LSH attention", eq. 4/5, as Hugging Face's {@code ReformerAttention} does), which is exact softmax
 * attention over the union of the rounds' key sets when they are disjoint (keys found by several rounds are counted
 * once per round, as in Reformer).
 *
 * <p>The rotations are a non-trainable buffer drawn on the host from {@code build.layerSeed()} and saved with the
 * model. Reformer training redraws them every forward pass; we keep them fixed, so that evaluation is deterministic
 * and a reloaded model hashes exactly as it did when it was saved.
 *
 * <p>Time and memory are O(num_hashes N chunk_size) per head, plus an O(N log N) sort per round.
 */
public final class LshAttention extends SelfAttention {

    public static final String NAME = "lsh";

    /** Reformer's score of a query's own key: used only when no other key is visible (exp(-1e5) is 0). */
    static final float SELF_SCORE = -1e5f;
    /** Added to |q|^2 before the square root, so that a zero query (internal padding) gives a zero key. */
    static final double KEY_NORM_EPS = 1e-6;

    private final int numHashes;
    private final int numBuckets;
    private final int chunkSize;
    private final boolean allowSelf;
    /** 1 / sqrt(D), in double so that float64 runs are not rounded to float precision. */
    private final double scale;
    /** (H, D, num_hashes * b/2): round r uses columns [r b/2, (r+1) b/2); {@code null} when b = 1. */
    private final Parameter rotations;

    public LshAttention(AttentionBuild build) {
        this(build, false);
    }

    /**
     * @param allowSelf let every query attend to its own key like any other key (used to reduce the mechanism to
     *     exact shared-QK attention in tests)
     */
    LshAttention(AttentionBuild build, boolean allowSelf) {
        super(build, false);
        AttentionConfig config = build.config();
        this.numHashes = config.numHashes();
        this.numBuckets = config.numBuckets();
        this.chunkSize = config.chunkSize();
        this.allowSelf = allowSelf;
        this.scale = 1.0 / Math.sqrt(headSize);
        this.rotations = numBuckets == 1 ? null : addParameter(Parameter.builder()
                .setName("rotations")
                .setType(Parameter.Type.OTHER)
                .optShape(new Shape(numHeads, headSize, (long) numHashes * (numBuckets / 2)))
                .optRequiresGrad(false)
                .optInitializer(new GaussianInitializer(build.layerSeed()))
                .build());
    }

    /** Standard normal entries from a seeded host generator: the same buffer on every machine and reload. */
    private record GaussianInitializer(long seed) implements Initializer {
        @Override
        public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
            Random random = new Random(seed);
            double[] values = new double[Math.toIntExact(shape.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = random.nextGaussian();
            }
            try (NDArray array = manager.create(values, shape)) {
                // A cast to the same type (float64) would alias the Java buffer that closes with `array`; a clone
                // lives in libtorch's memory (see Scalars).
                return dataType == DataType.FLOAT64 ? array.duplicate() : array.toType(dataType, false);
            }
        }
    }

    /** The (H, D, num_hashes * b/2) rotation buffer, or {@code null} when there is a single bucket. */
    NDArray rotations() {
        return rotations == null ? null : rotations.getArray();
    }

    @Override
    public NDArray attend(ParameterStore ps, NDArray hidden, AttentionContext ctx, boolean training) {
        // (B, N, E) -> (B, H, N, D); no key projection: keys are the normalised queries.
        NDArray q = positionedHeads(ps, query, hidden, ctx, training);
        NDArray v = heads(ps, value, hidden, training);
        NDArray r = rotations == null ? null : ps.getValue(rotations, q.getDevice(), training);
        NDArray context = attendShared(q, v, r, ctx.paddingMask(), training);
        return project(ps, output, Heads.merge(context), training);
    }

    @Override
    protected NDArray attendHeads(NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training) {
        throw new UnsupportedOperationException("lsh attention shares queries and keys: it takes no key heads");
    }

    /** k̂ = q / |q| per position and head (section 2, "shared-QK Transformer"). */
    static NDArray normalizedKeys(NDArray q) {
        return q.div(q.mul(q).sum(new int[] {-1}, true).add(KEY_NORM_EPS).sqrt());
    }

    /**
     * LSH attention on split heads.
     *
     * @param q (B, H, N, D) queries (the keys are derived from them)
     * @param v (B, H, N, D)
     * @param rotations (H, D, num_hashes * b/2), or {@code null} when b = 1
     * @param paddingMask (B, N) 1 at real tokens, 0 at padding
     * @return (B, H, N, D)
     */
    NDArray attendShared(NDArray q, NDArray v, NDArray rotations, NDArray paddingMask, boolean training) {
        // (B, H, N, D)
        Shape s = q.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long n = s.get(2);
        long d = s.get(3);
        long c = chunkSize;
        long np = SequencePadding.paddedLength(n, c);
        long nc = np / c;
        long nh = numHashes;
        NDManager manager = q.getManager();
        DataType type = q.getDataType();

        NDArray qp = SequencePadding.append(q, 2, np - n, 0f);
        NDArray vp = SequencePadding.append(v, 2, np - n, 0f);
        // (B, Np) 1 at real tokens; internal padding counts as padding.
        NDArray real = SequencePadding.append(paddingMask.toType(type, false), 1, np - n, 0f);

        // Buckets (B, H, nh, Np). argmax([xR; -xR]) is invariant to scaling x, so hashing q equals hashing k̂.
        NDArray buckets;
        if (rotations == null) {
            buckets = manager.zeros(new Shape(b, h, nh, np), DataType.INT64);
        } else {
            NDArray rotated = qp.matMul(rotations).reshape(b, h, np, nh, numBuckets / 2);
            buckets = rotated.concat(rotated.neg(), 4).argMax(4).transpose(0, 1, 3, 2);
        }
        // Padded positions go to bucket b, after every real bucket: bucket * m + b (1 - m).
        NDArray realInt = real.toType(DataType.INT64, false).reshape(b, 1, 1, np);
        buckets = buckets.mul(realInt).add(realInt.neg().add(1L).mul((long) numBuckets));
        // Sort by (bucket, position): unique INT64 keys bucket * Np + position.
        NDArray positions = manager.arange(0, (int) np, 1, DataType.INT64);
        NDArray order = buckets.mul(np).add(positions).argSort(-1, true);

        // Gather in sorted order: (B, H, nh * Np, D) -> (B, H, nh, nc, c, D).
        NDArray flatOrder = order.reshape(b, h, nh * np);
        Shape chunked = new Shape(b, h, nh, nc, c, d);
        NDArray qs = Rows.take(qp, flatOrder).reshape(chunked);
        NDArray ks = normalizedKeys(qs);
        NDArray vs = Rows.take(vp, flatOrder).reshape(chunked);

        // Padded positions are exactly the last Np - count sorted slots of every round (they hold bucket b).
        NDArray count = real.sum(new int[] {1}, true);
        NDArray sortedMask = manager.arange(0, (int) np, 1, type).reshape(1, np).gte(count).toType(type, false)
                .mul(AttentionMasks.maskedScore(type)).reshape(b, 1, 1, nc, c);

        // Keys of a chunk: the previous chunk of the same round, then the chunk itself (2c keys); chunk 0 of a round
        // has no previous chunk, so that slot is masked.
        NDArray keys = previousChunk(ks, 0f).concat(ks, 4);
        NDArray values = previousChunk(vs, 0f).concat(vs, 4);
        NDArray keyMask = previousChunk(sortedMask, AttentionMasks.maskedScore(type)).concat(sortedMask, 4)
                .reshape(b, 1, 1, nc, 1, 2 * c);

        // (B, H, nh, nc, c, 2c) scores q · k̂ / sqrt(D).
        NDArray scores = qs.mul(Scalars.of(qs, scale)).matMul(keys.transpose(0, 1, 2, 3, 5, 4)).add(keyMask);
        if (!allowSelf) {
            scores = scores.add(selfScores(manager, (int) c, type));
        }
        NDArray[] pl = PartialAttention.softmaxWithLogNormalizer(scores);
        NDArray out = dropProbabilities(pl[0], training).matMul(values);

        // Unsort output and log-normaliser together: (B, H, nh * Np, D + 1) gathered by the inverse permutation of
        // each round, offset to its round's rows.
        NDArray sorted = out.concat(pl[1], 5).reshape(b, h, nh * np, d + 1);
        NDArray roundOffsets = manager.arange(0, (int) (nh * np), (int) np, DataType.INT64).reshape(nh, 1);
        NDArray inverse = order.argSort(-1, true).add(roundOffsets).reshape(b, h, nh * np);
        NDArray unsorted = Rows.take(sorted, inverse).reshape(b, h, nh, np, d + 1);
        NDArray result;
        if (nh == 1) {
            result = unsorted.get(":, :, 0, :, 0:" + d);
        } else {
            // Eq. (4)/(5): round r weighs exp(log Z_r - log sum_r' Z_r').
            NDArray weights = unsorted.get(":, :, :, :, " + d + ":").softmax(2);
            result = unsorted.get(":, :, :, :, 0:" + d).mul(weights).sum(new int[] {2});
        }
        return np == n ? result : result.get(":, :, 0:" + n);
    }

    /**
     * (..., nc, c[, D]) to the same shape holding, at chunk i, chunk i - 1 (of the same round), and {@code fill} at
     * chunk 0.
     */
    private static NDArray previousChunk(NDArray x, float fill) {
        // The chunk axis is 3 in both (B, H, nh, nc, c, D) and (B, 1, 1, nc, c).
        // Shape.getShape() is the shape's own array: copy it before changing it.
        long[] dims = x.getShape().getShape().clone();
        long nc = dims[3];
        dims[3] = 1;
        NDArray first = x.getManager().full(new Shape(dims), fill, x.getDataType());
        return nc == 1 ? first : first.concat(x.get(":, :, :, 0:" + (nc - 1)), 3);
    }


    /** (c, 2c): {@link #SELF_SCORE} where query a of a chunk meets its own key (column c + a), else 0. */
    private static NDArray selfScores(NDManager manager, int c, DataType type) {
        float[] m = new float[c * 2 * c];
        for (int a = 0; a < c; a++) {
            m[a * 2 * c + c + a] = SELF_SCORE;
        }
        return manager.create(m, new Shape(c, 2L * c)).toType(type, false);
    }
}
