package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;

/**
 * What every attention block receives besides the hidden states; built once per forward pass by the encoder and
 * shared by all its layers.
 *
 * @param paddingMask (B, N) float: 1 at real tokens, 0 at padding
 * @param additiveKeyMask (B, 1, 1, N) float: 0 at real keys, a large finite negative at padded keys (a fully
 *     {@code -inf} softmax row would give NaN, see DJL-NOTES.md)
 */
public record AttentionContext(NDArray paddingMask, NDArray additiveKeyMask) {

    /** Builds the context from a (B, N) mask of 1 (token) / 0 (padding) of any numeric type. */
    public static AttentionContext fromPaddingMask(NDArray attentionMask) {
        NDArray mask = attentionMask.toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
        return new AttentionContext(mask, AttentionMasks.additiveKeyMask(mask));
    }
}
