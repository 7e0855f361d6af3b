package io.encoder4j.datasets.tasks;

/**
 * A padded batch of framed sequences with their labels, flattened row-major. Padding is dynamic: every row is
 * padded with {@code <pad>} to the longest row of this batch, not to the dataset's maximum.
 *
 * <p>To hand it to DJL: {@code manager.create(inputIds, new Shape(batchSize, length))}, likewise
 * {@code attentionMask}; {@code manager.create(labels)} is (B).
 *
 * @param batchSize B, the number of rows
 * @param length N, the padded length
 * @param inputIds (B*N) token ids, {@code <pad>} after each row's end
 * @param attentionMask (B*N) 1 at real tokens, 0 at padding
 * @param labels (B) label ids, -1 for unlabelled rows
 * @param rows (B) the dataset row each batch row came from
 */
public record ClassificationBatch(int batchSize, int length, int[] inputIds, int[] attentionMask, int[] labels,
        long[] rows) {}
