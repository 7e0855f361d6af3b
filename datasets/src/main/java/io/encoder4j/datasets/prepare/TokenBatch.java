package io.encoder4j.datasets.prepare;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;

/**
 * A batch of pretraining rows, flattened row-major.
 *
 * @param batchSize B
 * @param length N: {@code seq_length} for {@code group_texts}; the longest row of the batch for {@code per_example}
 * @param inputIds (B*N) token ids, {@code <pad>} after each row's end
 * @param attentionMask (B*N) 1 at real tokens, 0 at padding (all 1 for {@code group_texts})
 * @param rows (B) the prepared row each batch row came from
 */
public record TokenBatch(int batchSize, int length, int[] inputIds, int[] attentionMask, long[] rows) {

    /**
     * {@code inputIds} in a direct buffer in native byte order, as DJL takes it without another copy:
     * {@code manager.create(batch.directInputIds(), new Shape(B, N), DataType.INT32)}.
     */
    public IntBuffer directInputIds() {
        IntBuffer buffer = ByteBuffer.allocateDirect(inputIds.length * Integer.BYTES).order(ByteOrder.nativeOrder())
                .asIntBuffer();
        buffer.put(inputIds).flip();
        return buffer;
    }
}
