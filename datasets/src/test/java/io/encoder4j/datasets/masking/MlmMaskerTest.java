package io.encoder4j.datasets.masking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MlmMaskerTest {

    private static final int VOCAB = 1000;
    private static final int MASK = 4;
    private static final int[] SPECIALS = {0, 1, 2, 3, 4};

    /** Packed-block-like ids: <s> ... </s> with ordinary tokens and some separators and padding. */
    private static int[] batch(int n, long seed) {
        Random r = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i % 128 == 0 ? 0 : i % 128 == 127 ? 2 : r.nextInt(20) == 0 ? 2 : 5 + r.nextInt(VOCAB - 5);
        }
        return ids;
    }

    @Test
    void proportionsMatchTheConfigurationAndSpecialsAreNeverChosen() {
        MlmMasker masker = new MlmMasker(new MaskingConfig(0.15f, 0.8f, 0.1f), MASK, VOCAB, SPECIALS);
        long eligible = 0;
        long chosen = 0;
        long masked = 0;
        long random = 0;
        long unchanged = 0;
        for (int round = 0; round < 20; round++) {
            int[] ids = batch(128 * 64, round);
            MaskedBatch b = masker.mask(ids, 1000 + round);
            for (int id : ids) {
                eligible += id > 4 ? 1 : 0;
            }
            for (int j = 0; j < b.maskedPositions().length; j++) {
                int pos = (int) b.maskedPositions()[j];
                assertTrue(ids[pos] > 4, "special token chosen at " + pos);
                assertEquals(ids[pos], b.labels()[j]);
                int now = b.inputIds()[pos];
                if (now == MASK) {
                    masked++;
                } else if (now == ids[pos]) {
                    unchanged++;
                } else {
                    assertTrue(now > 4, "random replacement must not be special");
                    random++;
                }
            }
            chosen += b.maskedPositions().length;
            // Positions not chosen are untouched.
            int changed = 0;
            for (int i = 0; i < ids.length; i++) {
                changed += ids[i] != b.inputIds()[i] ? 1 : 0;
            }
            assertTrue(changed <= b.maskedPositions().length);
        }
        assertEquals(0.15, (double) chosen / eligible, 0.005);
        assertEquals(0.8, (double) masked / chosen, 0.01);
        // A random draw equals the original with probability ~1/995, counted as unchanged.
        assertEquals(0.1, (double) random / chosen, 0.01);
        assertEquals(0.1, (double) unchanged / chosen, 0.01);
    }

    @Test
    void sameSeedSameMaskDifferentSeedDifferentMask() {
        MlmMasker masker = new MlmMasker(new MaskingConfig(null, null, null), MASK, VOCAB, SPECIALS);
        int[] ids = batch(1024, 5);
        MaskedBatch a = masker.mask(ids, 9);
        MaskedBatch b = masker.mask(ids, 9);
        assertArrayEquals(a.inputIds(), b.inputIds());
        assertArrayEquals(a.maskedPositions(), b.maskedPositions());
        assertNotEquals(java.util.Arrays.toString(a.maskedPositions()),
                java.util.Arrays.toString(masker.mask(ids, 10).maskedPositions()));
    }

    @Test
    void alwaysPredictsAtLeastOneTokenAndNeverASpecialOnlyBatch() {
        MlmMasker masker = new MlmMasker(new MaskingConfig(0.001f, null, null), MASK, VOCAB, SPECIALS);
        MaskedBatch b = masker.mask(new int[] {0, 17, 2}, 1);
        assertArrayEquals(new long[] {1}, b.maskedPositions());
        assertEquals(0, masker.mask(new int[] {0, 2, 1, 1}, 1).maskedPositions().length);
    }

    @Test
    void invalidFractionsAreRejectedWithTheirKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MaskingConfig(0.15f, 0.8f, 0.3f));
        assertTrue(e.getMessage().startsWith("mask_token_fraction + random_token_fraction"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MaskingConfig(1.5f, null, null));
    }
}
