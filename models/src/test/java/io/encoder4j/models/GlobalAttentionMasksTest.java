package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class GlobalAttentionMasksTest {

    private static final long S = 0;
    private static final long PAD = 1;
    private static final long SEP = 2;

    @Test
    void questionTokensAreEverythingBeforeTheFirstSeparatorWhateverFollows() {
        try (NDManager m = NDManager.newBaseManager()) {
            long[][] rows = {
                {S, 7, 8, SEP, SEP, 9, 9, SEP},   // RoBERTa pair: <s> q </s></s> c </s>
                {S, 7, SEP, 9, 9, SEP, PAD, PAD}, // one separator between question and context
                {S, 7, 8, 9, SEP, PAD, PAD, PAD}, // a single separator, then padding
                {S, SEP, 9, SEP, 9, SEP, 9, SEP}, // empty question, many separators
                {PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD}, // an empty row
            };
            NDArray ids = m.create(flatten(rows), new Shape(rows.length, 8));
            NDArray mask = ids.neq(PAD).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            int[] expected = {
                1, 1, 1, 0, 0, 0, 0, 0,
                1, 1, 0, 0, 0, 0, 0, 0,
                1, 1, 1, 1, 0, 0, 0, 0,
                1, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0};
            assertArrayEquals(expected, GlobalAttentionMasks.questionTokens(ids, mask, SEP).toIntArray());
            int[] first = new int[40];
            for (int row = 0; row < 4; row++) {
                first[row * 8] = 1;
            }
            assertArrayEquals(first, GlobalAttentionMasks.firstToken(mask).toIntArray());
        }
    }

    @Test
    void aRowWithoutSeparatorIsAnError() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {S, 7, SEP, 9, S, 7, 8, 9}, new Shape(2, 4));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GlobalAttentionMasks.questionTokens(ids, m.ones(new Shape(2, 4)), SEP));
            assertTrue(e.getMessage().contains("row 1 of the batch has no separator (token id 2)"), e.getMessage());
        }
    }

    private static long[] flatten(long[][] rows) {
        return java.util.Arrays.stream(rows).flatMapToLong(java.util.Arrays::stream).toArray();
    }
}
