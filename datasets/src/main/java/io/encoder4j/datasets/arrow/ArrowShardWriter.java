package io.encoder4j.datasets.arrow;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes token sequences as Arrow IPC files ({@code shard-00000.arrow}, ...) with one column {@code input_ids} of
 * type {@code list<int32>}, the layout Hugging Face {@code datasets} uses, so pyarrow and {@code datasets} read the
 * shards directly. Rows are buffered into record batches of {@code rowsPerBatch} and files of {@code rowsPerShard}.
 */
public final class ArrowShardWriter implements AutoCloseable {

    public static final String COLUMN = "input_ids";
    public static final String SHARD_GLOB = "shard-*.arrow";

    public static final Schema SCHEMA = new Schema(List.of(new Field(COLUMN,
            FieldType.notNullable(new ArrowType.List()),
            List.of(new Field("item", FieldType.notNullable(new ArrowType.Int(32, true)), null)))));

    private final Path dir;
    private final int rowsPerBatch;
    private final long rowsPerShard;
    private final BufferAllocator allocator = new RootAllocator();
    private final List<Path> written = new ArrayList<>();

    private VectorSchemaRoot root;
    private ArrowFileWriter writer;
    private FileChannel channel;
    private int rowsInBatch;
    private int valuesInBatch;
    private long rowsInShard;
    private long totalRows;

    public ArrowShardWriter(Path dir, int rowsPerBatch, long rowsPerShard) throws IOException {
        if (rowsPerBatch <= 0 || rowsPerShard <= 0) {
            throw new IllegalArgumentException("rows per batch and per shard must be positive");
        }
        Files.createDirectories(dir);
        this.dir = dir;
        this.rowsPerBatch = rowsPerBatch;
        this.rowsPerShard = rowsPerShard;
    }

    /** Appends one row. */
    public void write(int[] tokens) throws IOException {
        write(tokens, 0, tokens.length);
    }

    /** Appends {@code length} tokens from {@code offset} as one row. */
    public void write(int[] tokens, int offset, int length) throws IOException {
        if (writer == null) {
            openShard();
        }
        ListVector list = (ListVector) root.getVector(COLUMN);
        IntVector values = (IntVector) list.getDataVector();
        int start = list.startNewValue(rowsInBatch);
        for (int i = 0; i < length; i++) {
            values.setSafe(start + i, tokens[offset + i]);
        }
        list.endValue(rowsInBatch, length);
        rowsInBatch++;
        valuesInBatch = start + length;
        rowsInShard++;
        totalRows++;
        if (rowsInBatch == rowsPerBatch) {
            flushBatch();
        }
        if (rowsInShard == rowsPerShard) {
            closeShard();
        }
    }

    public long rowCount() {
        return totalRows;
    }

    /** The file name of shard {@code index}: {@code shard-00000.arrow}, ... (name order is shard order). */
    public static String shardName(int index) {
        return String.format("shard-%05d.arrow", index);
    }

    /** Files written so far, in order. */
    public List<Path> files() {
        return List.copyOf(written);
    }

    private void openShard() throws IOException {
        Path file = dir.resolve(shardName(written.size()));
        root = VectorSchemaRoot.create(SCHEMA, allocator);
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        writer = new ArrowFileWriter(root, null, channel);
        writer.start();
        ListVector list = (ListVector) root.getVector(COLUMN);
        list.allocateNew();
        written.add(file);
        rowsInShard = 0;
    }

    private void flushBatch() throws IOException {
        if (rowsInBatch == 0) {
            return;
        }
        ListVector list = (ListVector) root.getVector(COLUMN);
        list.getDataVector().setValueCount(valuesInBatch);
        list.setValueCount(rowsInBatch);
        root.setRowCount(rowsInBatch);
        writer.writeBatch();
        root.clear();
        list.allocateNew();
        rowsInBatch = 0;
        valuesInBatch = 0;
    }

    private void closeShard() throws IOException {
        flushBatch();
        writer.end();
        writer.close();
        channel.close();
        root.close();
        writer = null;
        root = null;
        channel = null;
    }

    @Override
    public void close() throws IOException {
        try {
            if (writer != null) {
                closeShard();
            }
        } finally {
            allocator.close();
        }
    }
}
