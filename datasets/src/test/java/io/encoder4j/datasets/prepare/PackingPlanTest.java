package io.encoder4j.datasets.prepare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.arrow.ArrowShardWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * Caches of random documents (one without any, some longer than a row, each cache spread over several files and
     * record batches), packed by {@link PackedRows} in sequential and in random order and by writing every shard,
     * against the packing written out naively: concatenate, cut, frame.
     */
    @Test
    void rowsInAnyOrderAndTheWrittenShardsAreTheNaivePackingOfTheCaches(@TempDir Path dir) throws Exception {
        Random random = new Random(7);
        int seq = 10;
        int content = seq - 2;
        int bos = 0;
        int eos = 2;
        List<int[]> docs = new ArrayList<>();
        List<String> dirs = new ArrayList<>();
        int[] perCache = {5, 0, 13, 1, 9};
        long[] documents = new long[perCache.length];
        long[] tokens = new long[perCache.length];
        for (int c = 0; c < perCache.length; c++) {
            Path cache = Files.createDirectories(dir.resolve("cache-" + c));
            try (ArrowShardWriter writer = new ArrowShardWriter(cache, 3, 4)) {
                for (int d = 0; d < perCache[c]; d++) {
                    int[] doc = random.ints(1 + random.nextInt(25), 5, 100).toArray();
                    writer.write(doc);
                    docs.add(doc);
                    documents[c]++;
                    tokens[c] += doc.length;
                }
            }
            dirs.add(cache.toString());
        }
        List<Integer> stream = new ArrayList<>();
        for (int[] doc : docs) {
            Arrays.stream(doc).forEach(stream::add);
            stream.add(eos);
        }
        for (Packing packing : Packing.values()) {
            List<int[]> expected = new ArrayList<>();
            List<Boolean> truncated = new ArrayList<>();
            if (packing == Packing.GROUP_TEXTS) {
                for (int g = 0; g < stream.size() / content; g++) {
                    int[] row = new int[seq];
                    row[0] = bos;
                    for (int i = 0; i < content; i++) {
                        row[1 + i] = stream.get(g * content + i);
                    }
                    row[seq - 1] = eos;
                    expected.add(row);
                    truncated.add(false);
                }
            } else {
                for (int[] doc : docs) {
                    int kept = Math.min(doc.length, content);
                    int[] row = new int[kept + 2];
                    row[0] = bos;
                    System.arraycopy(doc, 0, row, 1, kept);
                    row[kept + 1] = eos;
                    expected.add(row);
                    truncated.add(kept < doc.length);
                }
            }
            double f = 0.2f;
            PackingPlan plan = new PackingPlan(dirs, documents, tokens, packing, seq, f, bos, eos, 100, 7);
            assertEquals(expected.size(), plan.rows(), packing.toString());
            List<Long> order = new ArrayList<>();
            for (long g = 0; g < plan.rows(); g++) {
                order.add(g);
            }
            List<Long> shuffled = new ArrayList<>(order);
            Collections.shuffle(shuffled, random);
            for (List<Long> o : List.of(order, shuffled)) {
                try (PackedRows rows = new PackedRows(plan)) {
                    int[] row = new int[seq];
                    for (long g : o) {
                        int length = rows.row(g, row);
                        assertArrayEquals(expected.get((int) g), Arrays.copyOf(row, length), packing + " row " + g);
                        assertEquals(truncated.get((int) g), rows.truncated(), packing + " row " + g);
                    }
                }
            }
            // Every shard written on its own, in reverse order; read back and merged by the split rule.
            Path out = dir.resolve("out-" + packing);
            long[] tokenTotals = new long[2];
            for (int split = 1; split >= 0; split--) {
                Path splitDir = Files.createDirectories(out.resolve(split == 1 ? "validation" : "train"));
                for (int s = plan.shards(split == 1) - 1; s >= 0; s--) {
                    tokenTotals[split] += plan.writeShard(split == 1, s, splitDir).tokens();
                }
            }
            try (ArrowShardReader train = ArrowShardReader.open(out.resolve("train"));
                    ArrowShardReader validation = ArrowShardReader.open(out.resolve("validation"))) {
                long[] next = new long[2];
                long[] seen = new long[2];
                for (int g = 0; g < expected.size(); g++) {
                    int split = PackingPlan.heldOut(g, f) ? 1 : 0;
                    ArrowShardReader reader = split == 1 ? validation : train;
                    int[] row = new int[reader.rowLength(next[split])];
                    reader.copyRow(next[split]++, row, 0);
                    assertArrayEquals(expected.get(g), row, packing + " written row " + g);
                    seen[split] += row.length;
                }
                assertEquals(train.rowCount(), next[0]);
                assertEquals(validation.rowCount(), next[1]);
                assertArrayEquals(seen, tokenTotals);
            }
        }
    }
}
