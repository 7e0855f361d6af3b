package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.Random;

/**
 * Shared machinery of the attention tests: building blocks in float64, the dense reference (softmax attention with
 * an explicit boolean mask, textbook formula), and comparisons of outputs and input gradients at real positions.
 */
final class AttentionTesting {

    /** Which key j query i of head h in sequence b may see, before padding is applied. */
    @FunctionalInterface
    interface Pattern {
        boolean visible(int b, int h, int i, int j);
    }

    private AttentionTesting() {}

    /** A block of the given type, initialised in {@code type} with N(0, 0.2) weights. */
    static SelfAttention block(NDManager manager, AttentionConfig config, int hidden, int heads, int maxLength,
            DataType type) {
        SelfAttention block = AttentionRegistry.create(AttentionBuild.of(config, hidden, heads, maxLength));
        block.setInitializer(new NormalInitializer(0.2f), Parameter.Type.WEIGHT);
        block.setInitializer(new NormalInitializer(0.2f), Parameter.Type.BIAS);
        block.initialize(manager, type, new Shape(1, maxLength, hidden), new Shape(1, maxLength),
                new Shape(1, 1, 1, maxLength));
        return block;
    }

    /** (B, N) float64 padding mask with the given real lengths (length 0 = an all-padding row). */
    static NDArray paddingMask(NDManager manager, int n, int... lengths) {
        double[] m = new double[lengths.length * n];
        for (int b = 0; b < lengths.length; b++) {
            for (int i = 0; i < lengths[b]; i++) {
                m[b * n + i] = 1;
            }
        }
        return manager.create(m, new Shape(lengths.length, n));
    }

    /** Random lengths in [1, n] with at least one full row. */
    static int[] randomLengths(Random random, int batch, int n) {
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            lengths[b] = b == 0 ? n : 1 + random.nextInt(n);
        }
        return lengths;
    }

    /**
     * Dense reference: softmax(q k^T / sqrt(D) restricted to the mask) v, with 0 for rows that see no key.
     *
     * @param mask (B, H, N, N) 1 where query i may see key j
     */
    static NDArray dense(NDArray q, NDArray k, NDArray v, NDArray mask) {
        long d = q.getShape().get(3);
        NDArray scores = io.encoder4j.core.tensor.Scalars.div(q.matMul(k.transpose(0, 1, 3, 2)), Math.sqrt(d));
        NDArray masked = scores.add(mask.neg().add(1).mul(-1e30));
        NDArray probs = masked.softmax(-1);
        NDArray anyVisible = mask.max(new int[] {-1}, true);
        return probs.matMul(v).mul(anyVisible);
    }

    /** The (B, H, N, N) mask of a pattern intersected with the real keys of each sequence. */
    static NDArray explicitMask(NDManager manager, Pattern pattern, int[] lengths, int heads, int n) {
        double[] m = new double[lengths.length * heads * n * n];
        int o = 0;
        for (int b = 0; b < lengths.length; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        m[o++] = j < lengths[b] && pattern.visible(b, h, i, j) ? 1 : 0;
                    }
                }
            }
        }
        return manager.create(m, new Shape(lengths.length, heads, n, n));
    }

    /**
     * Checks {@code block.attendHeads} against the dense reference in float64: outputs and gradients with respect
     * to q, k and v at real query positions, within {@code tolerance}; every output (padding included) finite.
     */
    static void assertMatchesDense(NDManager manager, SelfAttention block, Pattern pattern, int[] lengths, int n,
            int heads, int headSize, long seed, double tolerance) {
        Engine.getInstance().setRandomSeed((int) seed);
        Shape shape = new Shape(lengths.length, heads, n, headSize);
        NDArray q0 = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray k0 = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray v0 = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray weights = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray padding = paddingMask(manager, n, lengths);
        NDArray realQueries = padding.reshape(lengths.length, 1, n, 1);
        AttentionContext ctx = AttentionContext.fromMasks(padding, null, DataType.FLOAT64);
        NDArray mask = explicitMask(manager, pattern, lengths, heads, n);

        NDArray[] a = attached(q0, k0, v0);
        NDArray[] r = attached(q0, k0, v0);
        NDArray out;
        NDArray ref;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            out = block.attendHeads(a[0], a[1], a[2], ctx, false);
            ref = dense(r[0], r[1], r[2], mask);
            NDArray loss = out.mul(weights).mul(realQueries).sum().add(ref.mul(weights).mul(realQueries).sum());
            // A collection between forward and backward exposes operands that autograd keeps but DJL freed
            // (see Scalars).
            System.gc();
            gc.backward(loss);
        }
        assertEquals(shape, out.getShape(), "output shape");
        assertTrue(out.isInfinite().logicalOr(out.isNaN()).sum().getLong() == 0, "non-finite output");
        assertClose("output", ref.mul(realQueries), out.mul(realQueries), tolerance);
        String[] names = {"dq", "dk", "dv"};
        for (int i = 0; i < 3; i++) {
            assertClose(names[i], r[i].getGradient(), a[i].getGradient(), tolerance);
        }
    }

    private static NDArray[] attached(NDArray... xs) {
        NDArray[] out = new NDArray[xs.length];
        for (int i = 0; i < xs.length; i++) {
            out[i] = xs[i].duplicate();
            out[i].setRequiresGradient(true);
        }
        return out;
    }

    static void assertClose(String what, NDArray expected, NDArray actual, double tolerance) {
        double[] e = expected.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        assertEquals(e.length, a.length, what + ": size");
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(e[i] - a[i]) <= tolerance)) {
                throw new AssertionError(what + "[" + i + "]: expected " + e[i] + ", got " + a[i]);
            }
        }
    }

    /** Relative Frobenius error |a - e| / |e| of two tensors. */
    static double relativeError(NDArray expected, NDArray actual) {
        NDArray e = expected.toType(DataType.FLOAT64, false);
        NDArray a = actual.toType(DataType.FLOAT64, false);
        return a.sub(e).norm().getDouble() / e.norm().getDouble();
    }

    /**
     * Runs the whole block (projections included) in float32 on a padded batch and checks that the outputs at real
     * positions do not change when the padded positions hold other values or more padding is appended.
     */
    static void assertPaddingIndependent(NDManager manager, SelfAttention block, int hidden, int n, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        int[] lengths = {n, Math.max(1, n / 2) , 1};
        NDArray x = manager.randomNormal(new Shape(lengths.length, n, hidden));
        NDArray mask = paddingMask(manager, n, lengths).toType(DataType.FLOAT32, false);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray base = block.attend(ps, x, AttentionContext.fromPaddingMask(mask), false);
        // Other values at padded positions, and 5 more padded positions.
        NDArray noise = manager.randomNormal(new Shape(lengths.length, n + 5, hidden)).mul(10);
        NDArray longMask = paddingMask(manager, n + 5, lengths).toType(DataType.FLOAT32, false);
        NDArray keep = longMask.reshape(lengths.length, n + 5, 1);
        NDArray xLong = x.concat(manager.zeros(new Shape(lengths.length, 5, hidden)), 1).mul(keep)
                .add(noise.mul(keep.neg().add(1)));
        NDArray other = block.attend(ps, xLong, AttentionContext.fromPaddingMask(longMask), false)
                .get(":, 0:" + n);
        NDArray real = mask.reshape(lengths.length, n, 1);
        assertClose("padding independence", base.mul(real), other.mul(real), 2e-4);
    }
}
