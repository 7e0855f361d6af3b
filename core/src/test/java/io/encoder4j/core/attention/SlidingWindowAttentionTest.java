package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SlidingWindowAttentionTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** Longformer's dilated window: |i - j| <= d w/2 and j - i a multiple of d. */
    static AttentionTesting.Pattern window(int window, int[] dilation) {
        return (b, h, i, j) -> Math.abs(i - j) <= (long) dilation[h] * (window / 2) && (i - j) % dilation[h] == 0;
    }

    @Test
    void equalsDenseAttentionWithTheBandMaskOverRandomShapes() {
        Random random = new Random(3);
        int[][] dilations = {{1, 1}, {1, 2}, {3, 1}, {2, 2}};
        for (int trial = 0; trial < 8; trial++) {
            int n = 1 + random.nextInt(40);
            int window = 2 * (1 + random.nextInt(6));
            int[] dil = dilations[trial % dilations.length];
            int heads = 2;
            AttentionConfig config = AttentionConfig.of("sliding_window", "window", window, "dropout", 0,
                    "dilation", List.of(dil[0], dil[1]));
            SelfAttention block = AttentionTesting.block(manager, config, 8, heads, 64, DataType.FLOAT64);
            int[] lengths = AttentionTesting.randomLengths(random, 3, n);
            lengths[2] = 0;
            AttentionTesting.assertMatchesDense(manager, block, window(window, dil), lengths, n, heads, 4,
                    trial, 1e-6);
        }
    }

    @Test
    void paddingDoesNotChangeRealOutputs() {
        AttentionConfig config = AttentionConfig.of("sliding_window", "window", 6, "dilation", List.of(1, 2));
        SelfAttention block = AttentionTesting.block(manager, config, 16, 2, 64, DataType.FLOAT32);
        AttentionTesting.assertPaddingIndependent(manager, block, 16, 23, 5);
    }

    @Test
    void perLayerWindowsAndInvalidSettingsAreRejected() {
        AttentionConfig config = AttentionConfig.of("sliding_window", "layer_windows", List.of(4, 8));
        assertTrue(config.windowOf(1) == 8);
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> AttentionConfig.of("sliding_window", "window", 5));
        assertTrue(odd.getMessage().startsWith("window must be an even number"), odd.getMessage());
        IllegalArgumentException large = assertThrows(IllegalArgumentException.class,
                () -> AttentionConfig.of("sliding_window", "window", 512).validateFor(64, 4, 256, 2));
        assertTrue(large.getMessage().startsWith("attention.window 512 is larger"), large.getMessage());
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                () -> AttentionConfig.of("full", "window", 64));
        assertTrue(foreign.getMessage().startsWith("window does not apply to attention type 'full'"),
                foreign.getMessage());
        IllegalArgumentException layers = assertThrows(IllegalArgumentException.class,
                () -> config.validateFor(64, 4, 256, 3));
        assertTrue(layers.getMessage().contains("2 entries for 3 layers"), layers.getMessage());
    }
}
