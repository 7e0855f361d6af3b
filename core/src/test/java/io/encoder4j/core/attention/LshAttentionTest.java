package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LshAttentionTest {

    private static final int HIDDEN = 16;
    private static final int HEADS = 2;
    private static final int D = HIDDEN / HEADS;

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static LshAttention block(int numHashes, int numBuckets, int chunkSize, long seed, boolean allowSelf,
            int hidden, int heads, DataType type) {
        AttentionConfig config = AttentionConfig.of(LshAttention.NAME, "num_hashes", numHashes, "num_buckets",
                numBuckets, "chunk_size", chunkSize, "seed", seed, "dropout", 0);
        LshAttention block = new LshAttention(AttentionBuild.of(config, hidden, heads, 64), allowSelf);
        block.setInitializer(new NormalInitializer(0.2f), Parameter.Type.WEIGHT);
        block.setInitializer(new NormalInitializer(0.2f), Parameter.Type.BIAS);
        block.initialize(manager, type, new Shape(1, 64, hidden), new Shape(1, 64), new Shape(1, 1, 1, 64));
        return block;
    }

    /** The shared-QK keys, written out: q / sqrt(|q|^2 + eps). */
    private static NDArray unitKeys(NDArray q) {
        return q.div(q.mul(q).sum(new int[] {-1}, true).add(LshAttention.KEY_NORM_EPS).sqrt());
    }

    /**
     * {@link AttentionTesting#dense} for gradients: its {@code div(Number)} scalar is freed before the backward pass
     * can read it (see {@code LshAttention.scalar}), so 1/sqrt(D) is a tensor kept in the test's manager here.
     */
    private static NDArray dense(NDArray q, NDArray k, NDArray v, NDArray mask) {
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(manager.create(1 / Math.sqrt(D)));
        NDArray probs = scores.add(mask.neg().add(1).mul(-1e30)).softmax(-1);
        return probs.matMul(v).mul(mask.max(new int[] {-1}, true));
    }

    private static NDArray attached(NDArray x) {
        NDArray y = x.duplicate();
        y.setRequiresGradient(true);
        return y;
    }

    /**
     * Compares {@code attendShared} with the dense float64 reference over the explicit pattern (keys = normalised
     * queries): outputs at real queries and the gradients with respect to q and v, within 1e-9.
     */
    private static void assertMatchesDenseSharedQk(LshAttention block, AttentionTesting.Pattern pattern,
            int[] lengths, int n, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        Shape shape = new Shape(lengths.length, HEADS, n, D);
        NDArray q0 = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray v0 = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray weights = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray padding = AttentionTesting.paddingMask(manager, n, lengths);
        NDArray realQueries = padding.reshape(lengths.length, 1, n, 1);
        NDArray mask = AttentionTesting.explicitMask(manager, pattern, lengths, HEADS, n);
        NDArray qa = attached(q0);
        NDArray va = attached(v0);
        NDArray qr = attached(q0);
        NDArray vr = attached(v0);
        NDArray out;
        NDArray ref;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            out = block.attendShared(qa, va, block.rotations(), padding, false);
            ref = dense(qr, unitKeys(qr), vr, mask);
            // A collection between forward and backward frees whatever the graph keeps on Java buffers that DJL closed
            // (scalars of Number arguments): the gradients below then catch it.
            System.gc();
            gc.backward(out.mul(weights).mul(realQueries).sum().add(ref.mul(weights).mul(realQueries).sum()));
        }
        assertEquals(shape, out.getShape());
        assertEquals(0, out.isNaN().logicalOr(out.isInfinite()).sum().getLong(), "non-finite output");
        AttentionTesting.assertClose("output", ref.mul(realQueries), out.mul(realQueries), 1e-9);
        AttentionTesting.assertClose("dq", qr.getGradient(), qa.getGradient(), 1e-9);
        AttentionTesting.assertClose("dv", vr.getGradient(), va.getGradient(), 1e-9);
    }

    @Test
    void oneBucketOneChunkWithSelfIsExactSharedQkAttention() {
        // b = 1 and chunk_size >= N put every position in one chunk; with the own key allowed, every real key is
        // visible: full shared-QK attention. Several identical rounds must combine to the same result.
        for (int numHashes : new int[] {1, 3}) {
            LshAttention block = block(numHashes, 1, 16, 0, true, HIDDEN, HEADS, DataType.FLOAT64);
            for (int n : new int[] {1, 5, 16}) {
                int[] lengths = {n, (n + 1) / 2, 0};
                assertMatchesDenseSharedQk(block, (b, h, i, j) -> true, lengths, n, 10L * n + numHashes);
            }
        }
    }

    /** b = 1, one round: chunks of consecutive positions; chunk i sees chunks i - 1 and i, own key only if alone. */
    private static AttentionTesting.Pattern chunkPattern(int chunk, int[] lengths) {
        return (b, h, i, j) -> {
            int ci = i / chunk;
            int from = Math.max(0, ci - 1) * chunk;
            int to = Math.min(lengths[b], (ci + 1) * chunk);
            boolean others = false;
            for (int x = from; x < to; x++) {
                others |= x != i;
            }
            int cj = j / chunk;
            return (cj == ci || cj == ci - 1) && (j != i || !others);
        };
    }

    @Test
    void chunksOfAnyLengthMatchTheExplicitChunkPattern() {
        // N not a multiple of chunk_size, and N = 1: the padded tail chunk and the self rule, against the explicit
        // pattern (one bucket, so sorted order is position order).
        LshAttention block = block(1, 1, 4, 0, false, HIDDEN, HEADS, DataType.FLOAT64);
        for (int n : new int[] {1, 3, 5, 13}) {
            int[] lengths = {n, n / 2 + 1, 1, 0};
            assertMatchesDenseSharedQk(block, chunkPattern(4, lengths), lengths, n, n);
        }
    }

    @Test
    void withOneChunkHashingOnlyPermutesTheKeys() {
        // chunk_size >= N: whatever the buckets, every real key is in the query's chunk, so sorting, gathering and
        // unsorting (and their gradients) must give exactly full shared-QK attention without the own key, in every
        // round, and the rounds must combine to the same.
        for (int numHashes : new int[] {1, 3}) {
            LshAttention block = block(numHashes, 8, 16, 4, false, HIDDEN, HEADS, DataType.FLOAT64);
            for (int n : new int[] {2, 9, 16}) {
                int[] lengths = {n, n / 2 + 1, 1};
                assertMatchesDenseSharedQk(block, chunkPattern(16, lengths), lengths, n, 7L * n + numHashes);
            }
        }
    }

    @Test
    void aLoneTokenAttendsToItself() {
        // Default rule (own key at -1e5, not masked): a single real token has nothing else to see, so its output is
        // its own value in every round, with padding after it or without.
        LshAttention block = block(2, 4, 2, 3, false, HIDDEN, HEADS, DataType.FLOAT64);
        for (int n : new int[] {1, 7}) {
            NDArray q = manager.randomNormal(new Shape(1, HEADS, n, D), DataType.FLOAT64);
            NDArray v = manager.randomNormal(new Shape(1, HEADS, n, D), DataType.FLOAT64);
            NDArray out = block.attendShared(q, v, block.rotations(), AttentionTesting.paddingMask(manager, n, 1),
                    false);
            AttentionTesting.assertClose("own value", v.get(":, :, 0:1"), out.get(":, :, 0:1"), 1e-9);
        }
    }

    @Test
    void errorAgainstFullSharedQkAttentionFallsWithMoreHashRounds() {
        // Queries in 32 tight clusters of large norm (about 2 queries each): the attention mass of a query lies on
        // its cluster, which a random rotation keeps in one bucket; but a bucket's run of sorted positions can cross
        // a chunk boundary, hiding some cluster keys in one round, and more rounds miss fewer of them. (The error
        // does not reach 0: keys seen in several rounds are counted several times, as in Reformer eq. 4/5.)
        int n = 64;
        int clusters = 32;
        Random random = new Random(11);
        double[] centres = new double[clusters * D];
        for (int i = 0; i < centres.length; i++) {
            centres[i] = 10 * random.nextGaussian();
        }
        double[] qv = new double[HEADS * n * D];
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < n; i++) {
                int cl = random.nextInt(clusters);
                for (int x = 0; x < D; x++) {
                    qv[(h * n + i) * D + x] = centres[cl * D + x] + 0.3 * random.nextGaussian();
                }
            }
        }
        NDArray q = manager.create(qv, new Shape(1, HEADS, n, D));
        Engine.getInstance().setRandomSeed(5);
        NDArray v = manager.randomNormal(new Shape(1, HEADS, n, D), DataType.FLOAT64);
        NDArray padding = AttentionTesting.paddingMask(manager, n, n);
        // Reformer's full shared-QK attention: every key but the query's own.
        NDArray noSelf = AttentionTesting.explicitMask(manager, (b, h, i, j) -> i != j, new int[] {n}, HEADS, n);
        NDArray full = AttentionTesting.dense(q, unitKeys(q), v, noSelf);
        int[] rounds = {1, 2, 4, 8};
        double[] errors = new double[rounds.length];
        for (int r = 0; r < rounds.length; r++) {
            for (long seed = 0; seed < 4; seed++) {
                LshAttention block = block(rounds[r], 8, 16, seed, false, HIDDEN, HEADS, DataType.FLOAT64);
                NDArray out = block.attendShared(q, v, block.rotations(), padding, false);
                errors[r] += AttentionTesting.relativeError(full, out) / 4;
            }
        }
        for (int r = 1; r < rounds.length; r++) {
            assertTrue(errors[r] < 0.8 * errors[r - 1], "errors by rounds " + Arrays.toString(errors));
        }
        assertTrue(errors[rounds.length - 1] < 0.35 * errors[0], "errors by rounds " + Arrays.toString(errors));
    }

    @Test
    void paddingDoesNotChangeRealOutputs() {
        LshAttention block = block(2, 4, 4, 1, false, HIDDEN, HEADS, DataType.FLOAT32);
        AttentionTesting.assertPaddingIndependent(manager, block, HIDDEN, 23, 5);
        AttentionTesting.assertPaddingIndependent(manager, block, HIDDEN, 1, 6);
    }

    @Test
    void wholeBlockTakesAnyLengthAndHashesDeterministically() {
        LshAttention block = (LshAttention) AttentionTesting.block(manager,
                AttentionConfig.of(LshAttention.NAME, "num_buckets", 4, "chunk_size", 4, "seed", 9), HIDDEN, HEADS,
                64, DataType.FLOAT32);
        ParameterStore ps = new ParameterStore(manager, false);
        for (int n : new int[] {1, 2, 7, 64}) {
            NDArray x = manager.randomNormal(new Shape(2, n, HIDDEN));
            NDArray mask = AttentionTesting.paddingMask(manager, n, n, (n + 1) / 2).toType(DataType.FLOAT32, false);
            NDArray out = block.attend(ps, x, AttentionContext.fromPaddingMask(mask), false);
            assertEquals(new Shape(2, n, HIDDEN), out.getShape());
            assertEquals(0, out.isNaN().logicalOr(out.isInfinite()).sum().getLong(), "non-finite at N = " + n);
        }
        // The rotations: a fixed (H, D, num_hashes * b/2) buffer from the seed, not trained; none for b = 1.
        NDArray rotations = block.rotations();
        assertEquals(new Shape(HEADS, D, 2 * 2), rotations.getShape());
        assertFalse(block.getParameters().get("rotations").requiresGradient());
        LshAttention same = block(2, 4, 4, 9, false, HIDDEN, HEADS, DataType.FLOAT32);
        LshAttention other = block(2, 4, 4, 10, false, HIDDEN, HEADS, DataType.FLOAT32);
        assertTrue(Arrays.equals(rotations.toFloatArray(), same.rotations().toFloatArray()));
        assertNotEquals(Arrays.toString(rotations.toFloatArray()), Arrays.toString(other.rotations().toFloatArray()));
        assertNull(block(2, 1, 4, 9, false, HIDDEN, HEADS, DataType.FLOAT32).rotations());
        assertNull(block.getParameters().get("key"));
    }
}
