package io.encoder4j.datasets.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrowShardTest {

    @TempDir
    Path dir;

    @Test
    void rowsRoundTripAcrossBatchesAndShards() throws IOException {
        Random random = new Random(1);
        List<int[]> rows = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            int[] row = new int[random.nextInt(40)];
            for (int j = 0; j < row.length; j++) {
                row[j] = random.nextInt(50_000) - 100;
            }
            rows.add(row);
        }
        try (ArrowShardWriter writer = new ArrowShardWriter(dir, 16, 100)) {
            for (int[] row : rows) {
                writer.write(row);
            }
            assertEquals(250, writer.rowCount());
            assertEquals(3, writer.files().size());
        }
        try (ArrowShardReader reader = ArrowShardReader.open(dir)) {
            assertEquals(rows.size(), reader.rowCount());
            int[] buffer = new int[64];
            // Read out of order: random access must not depend on the previous read.
            for (int i = rows.size() - 1; i >= 0; i -= 3) {
                int n = reader.copyRow(i, buffer, 5);
                assertEquals(rows.get(i).length, n);
                assertEquals(n, reader.rowLength(i));
                int[] got = new int[n];
                System.arraycopy(buffer, 5, got, 0, n);
                assertArrayEquals(rows.get(i), got, "row " + i);
            }
            assertThrows(IndexOutOfBoundsException.class, () -> reader.copyRow(250, buffer, 0));
        }
    }

    @Test
    void emptyDirectoryIsAnError() throws IOException {
        Files.createDirectories(dir.resolve("empty"));
        IOException e = assertThrows(IOException.class, () -> ArrowShardReader.open(dir.resolve("empty")));
        assertEquals(dir.resolve("empty") + ": no Arrow shards (shard-*.arrow)", e.getMessage());
    }

    @Test
    void mapsAFileWrittenByPyarrow() throws Exception {
        // pyarrow 25 (make_fixture.py beside it): nullable list<int32>, two record batches, rows [i .. 2i].
        Path dir = Path.of(ArrowShardTest.class.getResource("/pyarrow-shard").toURI());
        try (ArrowShardReader reader = ArrowShardReader.open(dir)) {
            assertEquals(10, reader.rowCount());
            for (int i = 0; i < 10; i++) {
                int[] row = new int[reader.rowLength(i)];
                reader.copyRow(i, row, 0);
                assertArrayEquals(java.util.stream.IntStream.rangeClosed(i, 2 * i)
                        .toArray(), row);
            }
        }
    }
}
