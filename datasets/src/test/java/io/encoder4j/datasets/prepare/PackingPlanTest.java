package io.encoder4j.datasets.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class PackingPlanTest {

    /** A plan of {@code rows} per-example rows (one cache of that many documents); only its arithmetic is used. */
    private static PackingPlan plan(long rows, double f, int rowsPerShard) {
        return new PackingPlan(List.of("unused"), new long[] {rows}, new long[] {0}, Packing.PER_EXAMPLE, 8, f, 0, 2,
                10, rowsPerShard);
    }

    @Test
    void theNthRowOfEachSplitIsTheOneASequentialPassReaches() {
        for (double f : new double[] {0, 1e-4, 0.05f, 0.07f, 0.1f, 1 / 3.0f, 0.5f, 0.9f, 0.999f}) {
            int rows = 20_000;
            PackingPlan plan = plan(rows, f, 777);
            long[] seen = new long[2];
            for (long g = 0; g < rows; g++) {
                int split = PackingPlan.heldOut(g, f) ? 1 : 0;
                assertEquals(g, plan.nthRow(split == 1, seen[split]), "f " + f + ", row " + g);
                seen[split]++;
            }
            assertEquals(seen[0], plan.trainRows(), "f " + f);
            assertEquals(seen[1], plan.validationRows(), "f " + f);
            assertEquals((seen[0] + 776) / 777, plan.shards(false));
            assertEquals((seen[1] + 776) / 777, plan.shards(true));
            assertThrows(IndexOutOfBoundsException.class, () -> plan.nthRow(false, seen[0]));
        }
    }

    @Test
    void aFractionTooCloseToOneForTheRowCountIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> plan(1L << 40, 1 - 0x1p-24, 10));
    }
}
