package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mechanisms {@code training.precision: fp16} trains (training's {@code PrecisionSupport}) give the FP32 output
 * in FP16, with padding: their masks and padding fills use {@link AttentionMasks#maskedScore}, where -1e9 overflowed
 * FP16 ("value cannot be converted to type c10::Half without overflow", or -inf and then NaN). PyTorch's CPU kernels
 * accept FP16, so this runs here; the GPU runs behind the list are in docs/gpu.md.
 */
class Float16AttentionTest {

    private static final int HIDDEN = 16;
    private static final int HEADS = 2;
    private static final int N = 16;

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        Engine.getInstance().setRandomSeed(11);
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static Stream<AttentionConfig> mechanisms() {
        return Stream.of(AttentionConfig.full(0f),
                AttentionConfig.of("sliding_window", "window", 4, "dropout", 0),
                AttentionConfig.of("global", "local", "sliding_window", "window", 4, "dropout", 0),
                AttentionConfig.of("blockwise", "num_blocks", 3, "dropout", 0),
                AttentionConfig.of("bigbird", "block_size", 4, "num_random_blocks", 1, "dropout", 0),
                AttentionConfig.of("long_short", "window", 4, "rank", 4, "dropout", 0),
                AttentionConfig.of("nystrom", "num_landmarks", 4, "dropout", 0),
                AttentionConfig.of("rfa", "num_features", 16, "dropout", 0));
    }

    @ParameterizedTest
    @MethodSource("mechanisms")
    void float16MatchesFloat32WithPadding(AttentionConfig config) {
        SelfAttention half = AttentionTesting.block(manager, config, HIDDEN, HEADS, N, DataType.FLOAT16);
        SelfAttention full = AttentionTesting.block(manager, config, HIDDEN, HEADS, N, DataType.FLOAT32);
        // The same weights in both: the FP16 ones, widened.
        for (Pair<String, Parameter> p : half.getParameters()) {
            full.getParameters().get(p.getKey()).getArray()
                    .set(p.getValue().getArray().toType(DataType.FLOAT32, false).toFloatArray());
        }
        // Lengths 16 and 11; <s> of each row is global for the mechanisms that read global tokens.
        NDArray mask = AttentionTesting.paddingMask(manager, N, N, 11);
        float[] g = new float[2 * N];
        g[0] = 1;
        g[N] = 1;
        NDArray global = manager.create(g, new Shape(2, N));
        NDArray x = manager.randomNormal(new Shape(2, N, HIDDEN));
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray expected = full.attend(ps, x, AttentionContext.fromMasks(mask, global, DataType.FLOAT32), false);
        NDArray actual = half.attend(ps, x.toType(DataType.FLOAT16, false),
                AttentionContext.fromMasks(mask, global, DataType.FLOAT16), false).toType(DataType.FLOAT32, false);
        // Only real positions: padded queries' outputs are unspecified.
        NDArray real = mask.toType(DataType.FLOAT32, false).reshape(2, N, 1);
        NDArray e = expected.mul(real);
        NDArray a = actual.mul(real);
        assertTrue(a.isNaN().logicalNot().all().getBoolean() && a.abs().lt(1e30f).all().getBoolean(),
                config.type() + ": non-finite FP16 output");
        double error = AttentionTesting.relativeError(e, a);
        assertTrue(error < 1e-2, config.type() + ": FP16 relative error " + error);
    }
}
