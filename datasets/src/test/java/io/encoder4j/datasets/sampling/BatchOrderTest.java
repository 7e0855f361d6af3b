package io.encoder4j.datasets.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchOrderTest {

    @Test
    void permutationsAreBijectionsForEverySize() {
        for (long n : new long[] {1, 2, 3, 4, 5, 7, 16, 17, 100, 1000, 4097, 65_537}) {
            for (long seed = 0; seed < 3; seed++) {
                RandomPermutation p = new RandomPermutation(n, seed);
                BitSet seen = new BitSet();
                for (long i = 0; i < n; i++) {
                    long v = p.apply(i);
                    assertTrue(v >= 0 && v < n);
                    assertTrue(!seen.get((int) v), "duplicate " + v + " for n=" + n);
                    seen.set((int) v);
                }
            }
        }
        // It shuffles: few fixed points, and seeds differ.
        RandomPermutation p = new RandomPermutation(10_000, 1);
        int fixed = 0;
        for (int i = 0; i < 10_000; i++) {
            fixed += p.apply(i) == i ? 1 : 0;
        }
        assertTrue(fixed < 20, fixed + " fixed points");
        assertNotEquals(p.apply(0), new RandomPermutation(10_000, 2).apply(0));
        // Works far beyond memory: a trillion rows.
        long big = new RandomPermutation(1_000_000_000_000L, 5).apply(123_456_789_012L);
        assertTrue(big >= 0 && big < 1_000_000_000_000L);
    }

    @Test
    void eachEpochVisitsEveryRowOnceInItsOwnOrder() {
        BatchOrder order = BatchOrder.training(103, 10, 42);
        assertEquals(10, order.batchesPerEpoch());
        List<long[]> epoch0 = new ArrayList<>();
        for (long e = 0; e < 3; e++) {
            BitSet seen = new BitSet();
            for (long k = e * 10; k < e * 10 + 10; k++) {
                assertEquals(e, order.epochOf(k));
                long[] rows = order.rows(k);
                assertEquals(10, rows.length);
                for (long r : rows) {
                    assertTrue(!seen.get((int) r));
                    seen.set((int) r);
                }
                if (e == 0) {
                    epoch0.add(rows);
                }
            }
            assertEquals(100, seen.cardinality(), "3 rows left out of each epoch by drop_last");
        }
        assertNotEquals(java.util.Arrays.toString(epoch0.get(0)), java.util.Arrays.toString(order.rows(10)));

        BatchOrder eval = BatchOrder.sequential(103, 10);
        assertEquals(11, eval.batchesPerEpoch());
        assertArrayEquals(new long[] {100, 101, 102}, eval.rows(10));
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, eval.rows(11));
    }

    @Test
    void aResumedRunSeesExactlyTheBatchesOfAnUninterruptedOne() {
        long rows = 1234;
        List<long[]> uninterrupted = new ArrayList<>();
        BatchOrder a = BatchOrder.training(rows, 32, 7);
        for (long k = 0; k < 200; k++) {
            uninterrupted.add(a.rows(k));
        }
        // Interrupted after 77 batches (mid-epoch 2): the cursor goes through JSON, a fresh order resumes from it.
        BatchOrder before = BatchOrder.training(rows, 32, 7);
        for (long k = 0; k < 77; k++) {
            assertArrayEquals(uninterrupted.get((int) k), before.rows(k));
        }
        DataCursor saved = DataCursor.fromJson(before.cursorAt(77, "abc").toJson());
        assertEquals(new DataCursor("abc", 7, 32, 77), saved);
        BatchOrder after = BatchOrder.training(rows, 32, 7);
        long next = after.resume(saved, "abc");
        assertEquals(77, next);
        for (long k = next; k < 200; k++) {
            assertArrayEquals(uninterrupted.get((int) k), after.rows(k), "batch " + k);
        }
        // Another seed, batch size or data is refused rather than silently giving other batches.
        assertThrows(IllegalArgumentException.class, () -> BatchOrder.training(rows, 32, 8).resume(saved, "abc"));
        assertThrows(IllegalArgumentException.class, () -> BatchOrder.training(rows, 16, 7).resume(saved, "abc"));
        assertThrows(IllegalArgumentException.class, () -> BatchOrder.training(rows, 32, 7).resume(saved, "xyz"));
        assertEquals(78, saved.advance().nextBatch());
    }
}
