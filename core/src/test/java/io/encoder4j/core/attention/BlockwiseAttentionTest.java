package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BlockwiseAttentionTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static AttentionTesting.Pattern pattern(BlockwiseAttention block) {
        int bs = block.blockSize();
        return (b, h, i, j) -> j / bs == block.keyBlock(h, i / bs);
    }

    @Test
    void equalsDenseAttentionWithTheBlockPermutationMask() {
        Random random = new Random(11);
        for (int trial = 0; trial < 8; trial++) {
            int maxLength = 8 + random.nextInt(40);
            int blocks = 2 + random.nextInt(3);
            int n = 1 + random.nextInt(maxLength);
            int heads = 3;
            AttentionConfig config = AttentionConfig.of("blockwise", "num_blocks", blocks, "dropout", 0);
            BlockwiseAttention block = (BlockwiseAttention) AttentionTesting.block(manager, config, 12, heads,
                    maxLength, DataType.FLOAT64);
            int[] lengths = AttentionTesting.randomLengths(random, 3, n);
            lengths[2] = 0;
            AttentionTesting.assertMatchesDense(manager, block, pattern(block), lengths, n, heads, 4, trial, 1e-6);
        }
    }

    @Test
    void headsUseDifferentPermutationsAsInTheFirstTable() {
        BlockwiseAttention block = (BlockwiseAttention) AttentionTesting.block(manager,
                AttentionConfig.of("blockwise", "num_blocks", 3), 12, 3, 30, DataType.FLOAT32);
        assertEquals(10, block.blockSize());
        // (1,2,3), (2,3,1), (3,1,2) in the paper's 1-based notation.
        int[][] expected = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}};
        for (int h = 0; h < 3; h++) {
            for (int i = 0; i < 3; i++) {
                assertEquals(expected[h][i], block.keyBlock(h, i));
            }
        }
    }

    @Test
    void paddingDoesNotChangeRealOutputs() {
        SelfAttention block = AttentionTesting.block(manager, AttentionConfig.of("blockwise", "num_blocks", 4), 16,
                2, 40, DataType.FLOAT32);
        AttentionTesting.assertPaddingIndependent(manager, block, 16, 27, 5);
    }

    @Test
    void moreBlocksThanPositionsIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttentionConfig.of("blockwise", "num_blocks", 64).validateFor(64, 4, 32, 1));
        assertTrue(e.getMessage().startsWith("attention.num_blocks 64 is larger"), e.getMessage());
    }
}
