package io.encoder4j.datasets.arrow;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.corpus.DocumentSink;
import io.encoder4j.datasets.input.BadRows;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.BaseListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Streams one column of an Arrow IPC file, in either IPC layout: the random-access file format ({@code ARROW1}
 * magic, what {@link ArrowShardWriter} and {@code pyarrow.ipc.new_file} write) or the stream format (what Hugging
 * Face {@code datasets} writes into its {@code .arrow} files). A string column gives documents to tokenise; an
 * integer list column ({@code input_ids}, {@code list<int32>} or {@code list<int64>}) gives ids. One record batch is
 * in memory at a time.
 */
public final class ArrowTableReader {

    private static final byte[] FILE_MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

    private ArrowTableReader() {}

    /**
     * Sends the values of {@code column} to {@code sink}, batch by batch.
     *
     * @param column the column, or null for {@code input_ids} if present, else {@code text}
     * @throws ConfigException if the file is not Arrow IPC or has no such column of a usable type
     */
    public static void read(Path file, String column, BadRows bad, DocumentSink sink) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (BufferAllocator allocator = new RootAllocator();
                FileChannel channel = FileChannel.open(file)) {
            if (channel.size() == 0) {
                bad.report(file, 0, "the file is empty");
                return;
            }
            boolean fileFormat = isFileFormat(channel);
            try (ArrowReader reader = fileFormat ? new ArrowFileReader(channel, allocator)
                    : new ArrowStreamReader(channel, allocator)) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                String name = resolveColumn(file, root.getSchema().getFields(), column);
                long row = 0;
                if (fileFormat) {
                    ArrowFileReader files = (ArrowFileReader) reader;
                    for (ArrowBlock block : files.getRecordBlocks()) {
                        files.loadRecordBatch(block);
                        row = emit(file, root.getVector(name), row, utf8, bad, sink);
                    }
                } else {
                    while (reader.loadNextBatch()) {
                        row = emit(file, root.getVector(name), row, utf8, bad, sink);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigException c) {
                throw c;
            }
            throw new ConfigException(file + ": not a readable Arrow IPC file: " + e.getMessage(), e);
        }
    }

    /** The column names of an Arrow IPC file (either layout). */
    public static List<String> columns(Path file) {
        try (BufferAllocator allocator = new RootAllocator();
                FileChannel channel = FileChannel.open(file);
                ArrowReader reader = isFileFormat(channel) ? new ArrowFileReader(channel, allocator)
                        : new ArrowStreamReader(channel, allocator)) {
            return reader.getVectorSchemaRoot().getSchema().getFields().stream().map(Field::getName).toList();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(file + ": not a readable Arrow IPC file: " + e.getMessage(), e);
        }
    }

    private static boolean isFileFormat(FileChannel channel) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(FILE_MAGIC.length);
        channel.read(head, 0);
        channel.position(0);
        return head.position() == FILE_MAGIC.length && java.util.Arrays.equals(head.array(), FILE_MAGIC);
    }

    private static String resolveColumn(Path file, List<Field> fields, String column) {
        List<String> names = fields.stream().map(Field::getName).toList();
        if (column == null) {
            column = names.contains(ArrowShardWriter.COLUMN) ? ArrowShardWriter.COLUMN : "text";
        }
        if (!names.contains(column)) {
            throw new ConfigException(file + ": no column '" + column + "' (columns: " + String.join(", ", names)
                    + "); name one with text_field");
        }
        return column;
    }

    private static long emit(Path file, FieldVector vector, long row, CharsetDecoder utf8, BadRows bad,
            DocumentSink sink) {
        int n = vector.getValueCount();
        if (vector instanceof VarCharVector || vector instanceof LargeVarCharVector) {
            for (int i = 0; i < n; i++, row++) {
                if (vector.isNull(i)) {
                    bad.report(file, 0, "row " + row + ": the text is null");
                    continue;
                }
                byte[] bytes = vector instanceof VarCharVector v ? v.get(i) : ((LargeVarCharVector) vector).get(i);
                try {
                    CharBuffer chars = utf8.reset().decode(ByteBuffer.wrap(bytes));
                    sink.text(chars.toString());
                } catch (CharacterCodingException e) {
                    bad.report(file, 0, "row " + row + ": invalid UTF-8");
                }
            }
            return row;
        }
        if ((vector instanceof ListVector || vector instanceof LargeListVector)
                && ((BaseListVector) vector).getChildrenFromFields().get(0) instanceof BaseIntVector ints) {
            BaseListVector list = (BaseListVector) vector;
            for (int i = 0; i < n; i++, row++) {
                if (vector.isNull(i)) {
                    bad.report(file, 0, "row " + row + ": the ids are null");
                    continue;
                }
                long start = list.getElementStartIndex(i);
                long end = list.getElementEndIndex(i);
                int[] ids = new int[Math.toIntExact(end - start)];
                for (long j = start; j < end; j++) {
                    ids[(int) (j - start)] = Math.toIntExact(ints.getValueAsLong((int) j));
                }
                sink.tokens(ids);
            }
            return row;
        }
        throw new ConfigException(file + ": column '" + vector.getName() + "' is " + vector.getField().getType()
                + ", expected a string or a list of integers");
    }
}
