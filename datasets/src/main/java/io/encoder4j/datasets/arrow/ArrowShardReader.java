package io.encoder4j.datasets.arrow;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.util.TransferPair;

/**
 * Random access to the rows of a directory of {@link ArrowShardWriter} shards. The record batches are kept in
 * Arrow's off-heap buffers (not in Java collections); a row is copied out only when a batch asks for it.
 */
public final class ArrowShardReader implements AutoCloseable {

    private final BufferAllocator allocator = new RootAllocator();
    private final List<ListVector> batches = new ArrayList<>();
    /** rowStart[i] = global index of the first row of batches[i]; one extra entry holds the total. */
    private final long[] rowStart;

    private ArrowShardReader(List<Path> files) throws IOException {
        try {
            for (Path file : files) {
                readFile(file);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        rowStart = new long[batches.size() + 1];
        for (int i = 0; i < batches.size(); i++) {
            rowStart[i + 1] = rowStart[i] + batches.get(i).getValueCount();
        }
    }

    /** Opens every {@code shard-*.arrow} file of {@code dir} in name order. */
    public static ArrowShardReader open(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, ArrowShardWriter.SHARD_GLOB)) {
            stream.forEach(files::add);
        }
        files.sort(null);
        if (files.isEmpty()) {
            throw new IOException(dir + ": no Arrow shards (" + ArrowShardWriter.SHARD_GLOB + ")");
        }
        return new ArrowShardReader(files);
    }

    private void readFile(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file);
                ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            if (!(root.getVector(ArrowShardWriter.COLUMN) instanceof ListVector)) {
                throw new IOException(file + ": no list column '" + ArrowShardWriter.COLUMN + "'");
            }
            for (ArrowBlock block : reader.getRecordBlocks()) {
                reader.loadRecordBatch(block);
                ListVector column = (ListVector) root.getVector(ArrowShardWriter.COLUMN);
                // Move the buffers out of the reader's reusable root so they outlive the next load.
                TransferPair transfer = column.getTransferPair(allocator);
                transfer.transfer();
                batches.add((ListVector) transfer.getTo());
            }
        }
    }

    public long rowCount() {
        return rowStart[batches.size()];
    }

    public int rowLength(long row) {
        int b = batchOf(row);
        int r = (int) (row - rowStart[b]);
        ListVector list = batches.get(b);
        return list.getElementEndIndex(r) - list.getElementStartIndex(r);
    }

    /** Copies row {@code row} into {@code dst} at {@code offset}; returns its length. */
    public int copyRow(long row, int[] dst, int offset) {
        int b = batchOf(row);
        int r = (int) (row - rowStart[b]);
        ListVector list = batches.get(b);
        IntVector values = (IntVector) list.getDataVector();
        int start = list.getElementStartIndex(r);
        int end = list.getElementEndIndex(r);
        for (int i = start; i < end; i++) {
            dst[offset + i - start] = values.get(i);
        }
        return end - start;
    }

    private int batchOf(long row) {
        if (row < 0 || row >= rowCount()) {
            throw new IndexOutOfBoundsException("row " + row + " of " + rowCount());
        }
        int lo = 0;
        int hi = batches.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (rowStart[mid] <= row) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    @Override
    public void close() {
        batches.forEach(ListVector::close);
        batches.clear();
        allocator.close();
    }
}
