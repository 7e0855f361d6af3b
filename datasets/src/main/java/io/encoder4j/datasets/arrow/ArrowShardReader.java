package io.encoder4j.datasets.arrow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Random access to the rows of a directory of {@link ArrowShardWriter} shards, memory-mapped: nothing of the data is
 * copied into the Java heap or into Arrow's allocator when the shards are opened. Each record batch's offsets and
 * values buffers are {@link FileChannel#map mapped} read-only and viewed as little-endian {@link IntBuffer}s, so the
 * operating system pages rows in when a batch asks for them and a dataset larger than memory can be read.
 *
 * <p>The Arrow Java library has no memory-mapped reader; this one reads the file's footer with {@link ArrowFileReader}
 * (record batch positions only) and each batch's flatbuffer header itself: for a non-nullable
 * {@code list<int32>} column the body holds, in order, the list validity, list offsets, item validity and item values
 * buffers (Arrow columnar format, "Buffer layout" of variable-size lists).
 */
public final class ArrowShardReader implements AutoCloseable {

    /** One mapped record batch: {@code rows + 1} offsets into {@code values}. */
    private record Segment(IntBuffer offsets, IntBuffer values, int rows) {}

    private final List<Segment> segments = new ArrayList<>();
    /** rowStart[i] = global index of the first row of segments[i]; one extra entry holds the total. */
    private final long[] rowStart;
    /** valueStart[i] = tokens in the rows before segments[i]; one extra entry holds the total. */
    private final long[] valueStart;

    private ArrowShardReader(List<Path> files) throws IOException {
        for (Path file : files) {
            mapFile(file);
        }
        rowStart = new long[segments.size() + 1];
        valueStart = new long[segments.size() + 1];
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            rowStart[i + 1] = rowStart[i] + s.rows();
            valueStart[i + 1] = valueStart[i] + (s.rows() == 0 ? 0 : s.offsets().get(s.rows()) - s.offsets().get(0));
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

    private void mapFile(Path file) throws IOException {
        List<ArrowBlock> blocks;
        try (FileChannel channel = FileChannel.open(file);
                BufferAllocator allocator = new RootAllocator();
                ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
            List<Field> fields = reader.getVectorSchemaRoot().getSchema().getFields();
            if (fields.size() != 1 || !fields.get(0).getName().equals(ArrowShardWriter.COLUMN)
                    || !(fields.get(0).getType() instanceof ArrowType.List)
                    || !(fields.get(0).getChildren().get(0).getType() instanceof ArrowType.Int t && t.getBitWidth() == 32)) {
                throw new IOException(file + ": expected one column '" + ArrowShardWriter.COLUMN + ": list<int32>', "
                        + "found " + fields);
            }
            blocks = new ArrayList<>(reader.getRecordBlocks());
        }
        try (FileChannel channel = FileChannel.open(file)) {
            // One mapping per file when it fits a buffer (a 2 GiB shard), so a large dataset does not run into the
            // kernel's limit on mappings per process; a larger file is mapped per record batch.
            long size = channel.size();
            ByteBuffer whole = size <= Integer.MAX_VALUE ? channel.map(FileChannel.MapMode.READ_ONLY, 0, size) : null;
            for (ArrowBlock block : blocks) {
                int length = Math.toIntExact(block.getMetadataLength() + block.getBodyLength());
                ByteBuffer map = whole != null ? whole.slice(Math.toIntExact(block.getOffset()), length)
                        : channel.map(FileChannel.MapMode.READ_ONLY, block.getOffset(), length);
                map.order(ByteOrder.LITTLE_ENDIAN);
                // Message framing: 0xFFFFFFFF continuation and int32 length (a bare int32 length before Arrow 0.15).
                int first = map.getInt(0);
                int metaStart = first == -1 ? 8 : 4;
                int metaLength = first == -1 ? map.getInt(4) : first;
                Message message = Message.getRootAsMessage(
                        map.slice(metaStart, metaLength).order(ByteOrder.LITTLE_ENDIAN));
                if (message.headerType() != MessageHeader.RecordBatch) {
                    throw new IOException(file + ": block at " + block.getOffset() + " is not a record batch");
                }
                RecordBatch batch = (RecordBatch) message.header(new RecordBatch());
                if (batch.compression() != null) {
                    throw new IOException(file + ": compressed record batches are not supported");
                }
                if (batch.buffersLength() != 4) {
                    throw new IOException(file + ": unexpected buffer layout (" + batch.buffersLength() + " buffers)");
                }
                int body = block.getMetadataLength();
                int rows = Math.toIntExact(batch.length());
                IntBuffer offsets = slice(map, body, batch.buffers(1)).asIntBuffer();
                IntBuffer values = slice(map, body, batch.buffers(3)).asIntBuffer();
                if (rows > 0 && offsets.limit() < rows + 1) {
                    throw new IOException(file + ": offsets buffer too short for " + rows + " rows");
                }
                segments.add(new Segment(offsets, values, rows));
            }
        }
    }

    private static ByteBuffer slice(ByteBuffer map, int body, org.apache.arrow.flatbuf.Buffer buffer) {
        return map.slice(Math.toIntExact(body + buffer.offset()), Math.toIntExact(buffer.length()))
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    public long rowCount() {
        return rowStart[segments.size()];
    }

    public int rowLength(long row) {
        int b = batchOf(row);
        int r = (int) (row - rowStart[b]);
        IntBuffer offsets = segments.get(b).offsets();
        return offsets.get(r + 1) - offsets.get(r);
    }

    /** Copies row {@code row} into {@code dst} at {@code offset}; returns its length. */
    public int copyRow(long row, int[] dst, int offset) {
        int b = batchOf(row);
        int r = (int) (row - rowStart[b]);
        Segment s = segments.get(b);
        int start = s.offsets().get(r);
        int end = s.offsets().get(r + 1);
        s.values().get(start, dst, offset, end - start);
        return end - start;
    }

    /**
     * The number of tokens in the rows before {@code row} ({@code 0 <= row <= rowCount()}): where row {@code row}
     * starts in the concatenation of all rows.
     */
    public long tokensBefore(long row) {
        if (row == rowCount()) {
            return valueStart[segments.size()];
        }
        int b = batchOf(row);
        IntBuffer offsets = segments.get(b).offsets();
        return valueStart[b] + offsets.get((int) (row - rowStart[b])) - offsets.get(0);
    }

    /** Copies tokens {@code [from, from + length)} of row {@code row} into {@code dst} at {@code offset}. */
    public void copyRange(long row, int from, int[] dst, int offset, int length) {
        int b = batchOf(row);
        int r = (int) (row - rowStart[b]);
        Segment s = segments.get(b);
        int start = s.offsets().get(r);
        if (from < 0 || length < 0 || start + from + length > s.offsets().get(r + 1)) {
            throw new IndexOutOfBoundsException("tokens [" + from + ", " + (from + length) + ") of row " + row
                    + " of length " + (s.offsets().get(r + 1) - start));
        }
        s.values().get(start + from, dst, offset, length);
    }

    /** Copies row {@code row} into {@code dst} at its current position; returns its length. */
    public int copyRow(long row, IntBuffer dst) {
        int b = batchOf(row);
        int r = (int) (row - rowStart[b]);
        Segment s = segments.get(b);
        int start = s.offsets().get(r);
        int end = s.offsets().get(r + 1);
        dst.put(s.values().slice(start, end - start));
        return end - start;
    }

    private int batchOf(long row) {
        if (row < 0 || row >= rowCount()) {
            throw new IndexOutOfBoundsException("row " + row + " of " + rowCount());
        }
        int lo = 0;
        int hi = segments.size() - 1;
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

    /** Drops the mappings; the operating system unmaps them once they are collected. */
    @Override
    public void close() {
        segments.clear();
    }
}
