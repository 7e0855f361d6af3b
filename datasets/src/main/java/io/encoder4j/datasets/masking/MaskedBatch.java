package io.encoder4j.datasets.masking;

/**
 * One corrupted batch in flattened form.
 *
 * @param inputIds (B*N) corrupted ids, row-major
 * @param maskedPositions (M) indices into {@code inputIds} of the tokens to predict
 * @param labels (M) the original ids at those positions
 */
public record MaskedBatch(int[] inputIds, long[] maskedPositions, long[] labels) {}
