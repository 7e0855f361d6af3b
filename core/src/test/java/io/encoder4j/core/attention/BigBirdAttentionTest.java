package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BigBirdAttentionTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void equalsDenseAttentionWithTheBlockSparseMask() {
        Random random = new Random(5);
        for (int trial = 0; trial < 8; trial++) {
            int blockSize = 1 + random.nextInt(4);
            int maxLength = 48;
            int n = 1 + random.nextInt(maxLength);
            int heads = 2;
            AttentionConfig config = AttentionConfig.of("bigbird", "block_size", blockSize, "num_random_blocks",
                    random.nextInt(3), "num_global_blocks", random.nextInt(3), "seed", trial, "dropout", 0);
            BigBirdAttention block = (BigBirdAttention) AttentionTesting.block(manager, config, 8, heads, maxLength,
                    DataType.FLOAT64);
            int[] lengths = AttentionTesting.randomLengths(random, 3, n);
            lengths[2] = 0;
            AttentionTesting.assertMatchesDense(manager, block, (b, h, i, j) -> block.visible(h, i, j), lengths, n,
                    heads, 4, trial, 1e-6);
        }
    }

    @Test
    void randomBlocksAreSeededDistinctAndOutsideTheWindowAndGlobalBlocks() {
        int[][][] a = BigBirdAttention.drawRandomBlocks(7, 4, 32, 2, 3);
        int[][][] b = BigBirdAttention.drawRandomBlocks(7, 4, 32, 2, 3);
        int[][][] c = BigBirdAttention.drawRandomBlocks(8, 4, 32, 2, 3);
        boolean differs = false;
        for (int h = 0; h < 4; h++) {
            for (int i = 0; i < 32; i++) {
                assertArrayEquals(a[h][i], b[h][i]);
                assertEquals(3, a[h][i].length);
                assertEquals(3, java.util.Arrays.stream(a[h][i]).distinct().count());
                for (int r : a[h][i]) {
                    assertTrue(r >= 2 && Math.abs(r - i) > 1, "block " + r + " for query block " + i);
                }
                differs |= !java.util.Arrays.equals(a[h][i], c[h][i]);
            }
        }
        assertTrue(differs, "another seed draws other blocks");
        assertFalse(java.util.Arrays.deepEquals(a[0], a[1]), "heads draw different blocks");
    }

    @Test
    void paddingDoesNotChangeRealOutputs() {
        SelfAttention block = AttentionTesting.block(manager,
                AttentionConfig.of("bigbird", "block_size", 4, "num_random_blocks", 2), 16, 2, 64, DataType.FLOAT32);
        AttentionTesting.assertPaddingIndependent(manager, block, 16, 37, 5);
    }
}
