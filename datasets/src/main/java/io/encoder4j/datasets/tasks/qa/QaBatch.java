package io.encoder4j.datasets.tasks.qa;

/**
 * A padded batch of QA features, flattened row-major; padded to the longest feature of the batch.
 *
 * @param batchSize B
 * @param length N
 * @param inputIds (B*N) ids, {@code <pad>} after each row's end
 * @param attentionMask (B*N) 1 at real tokens, 0 at padding
 * @param startPositions (B) gold start token positions (0 = {@code <s>}: no answer in this window)
 * @param endPositions (B) gold end token positions
 * @param features (B) the index of each row's {@link QaFeature}, to map logits back with {@link QaPostprocessor}
 */
public record QaBatch(int batchSize, int length, int[] inputIds, int[] attentionMask, int[] startPositions,
        int[] endPositions, long[] features) {}
