package io.encoder4j.datasets.pretraining;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.arrow.ArrowShardWriter;
import io.encoder4j.datasets.sampling.DataCursor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockBatchSamplerTest {

    @TempDir
    Path dir;

    /** 50 rows of length 4; row r holds r in every position. */
    private ArrowShardReader rows() throws Exception {
        try (ArrowShardWriter w = new ArrowShardWriter(dir, 8, 1000)) {
            for (int r = 0; r < 50; r++) {
                int[] row = new int[4];
                Arrays.fill(row, r);
                w.write(row);
            }
        }
        return ArrowShardReader.open(dir);
    }

    @Test
    void eachEpochVisitsEveryCompleteBatchRowOnceInItsOwnOrder() throws Exception {
        try (ArrowShardReader reader = rows()) {
            BlockBatchSampler sampler = new BlockBatchSampler(reader, 8, 4, 11, true);
            assertEquals(6, sampler.batchesPerEpoch());
            Set<Integer> epoch0 = new HashSet<>();
            Set<Integer> epoch1 = new HashSet<>();
            int[] firstOfEpoch0 = sampler.batch(0);
            for (int k = 0; k < 6; k++) {
                int[] ids = sampler.batch(k);
                for (int b = 0; b < 8; b++) {
                    assertFalse(!epoch0.add(ids[b * 4]), "row repeated within an epoch");
                }
                int[] next = sampler.batch(6 + k);
                for (int b = 0; b < 8; b++) {
                    epoch1.add(next[b * 4]);
                }
            }
            assertEquals(48, epoch0.size());
            assertEquals(48, epoch1.size());
            assertFalse(Arrays.equals(firstOfEpoch0, sampler.batch(6)), "epochs should be shuffled differently");
        }
    }

    @Test
    void batchKIsAPureFunctionOfSeedAndK() throws Exception {
        try (ArrowShardReader reader = rows()) {
            BlockBatchSampler a = new BlockBatchSampler(reader, 8, 4, 11, true);
            BlockBatchSampler b = new BlockBatchSampler(reader, 8, 4, 11, true);
            int[] direct = b.batch(13);
            for (int k = 0; k < 13; k++) {
                a.batch(k);
            }
            assertArrayEquals(a.batch(13), direct);
            BlockBatchSampler ordered = new BlockBatchSampler(reader, 8, 4, 11, false);
            assertEquals(8, ordered.batch(1)[0]);
        }
    }

    @Test
    void aResumedSamplerContinuesAtTheSavedBatch() throws Exception {
        try (ArrowShardReader reader = rows()) {
            BlockBatchSampler run = new BlockBatchSampler(reader, 8, 4, 3, true);
            DataCursor cursor = DataCursor.fromJson(run.cursorAt(13, "packed-x").toJson());
            BlockBatchSampler resumed = new BlockBatchSampler(reader, 8, 4, 3, true);
            long k = resumed.resume(cursor, "packed-x");
            assertEquals(13, k);
            for (; k < 40; k++) {
                assertArrayEquals(run.batch(k), resumed.batch(k));
            }
            assertThrows(IllegalArgumentException.class,
                    () -> new BlockBatchSampler(reader, 8, 4, 4, true).resume(cursor, "packed-x"));
        }
    }
}
