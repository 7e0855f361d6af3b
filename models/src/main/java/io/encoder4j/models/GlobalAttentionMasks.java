package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The (B, N) global-attention masks the task heads place automatically in models with {@code global} attention, as
 * Hugging Face's Longformer task models do (Beltagy et al. 2020, section 6: global attention on {@code <s>} for
 * classification and on the question for QA). Pure functions of the ids and the padding mask; padding never gets
 * global attention.
 */
public final class GlobalAttentionMasks {

    private GlobalAttentionMasks() {}

    /**
     * Global attention on {@code <s>}, the token the classification head reads.
     *
     * @param attentionMask (B, N) 1 at tokens, 0 at padding
     * @return (B, N) INT32: 1 at position 0 of every row that has a token there, 0 elsewhere
     */
    public static NDArray firstToken(NDArray attentionMask) {
        // attentionMask: (B, N)
        long n = attentionMask.getShape().get(1);
        NDArray first = attentionMask.getManager().arange(0, (int) n, 1, DataType.INT32).eq(0)
                .toType(DataType.INT32, false);
        return real(attentionMask).mul(first);
    }

    /**
     * Global attention on the question of RoBERTa-style pairs {@code <s> question </s></s> context </s>}: every
     * real token before the first separator of its row, {@code <s>} included (transformers'
     * {@code _compute_global_attention_mask} with {@code before_sep_token=True}). Unlike transformers, which requires
     * exactly three separators per row, this makes no assumption about how many separators follow the first.
     *
     * @param ids (B, N) token ids
     * @param attentionMask (B, N) 1 at tokens, 0 at padding
     * @param sepTokenId the separator that ends the question
     * @return (B, N) INT32 1 at question tokens
     * @throws IllegalArgumentException if a row with tokens has no separator (the question cannot be found)
     */
    public static NDArray questionTokens(NDArray ids, NDArray attentionMask, long sepTokenId) {
        // ids, attentionMask: (B, N)
        NDArray real = real(attentionMask);
        NDArray isSep = ids.toType(DataType.INT64, false).eq(sepTokenId).toType(DataType.INT32, false).mul(real);
        // Separators seen up to and including each position: zero exactly before the first one.
        NDArray beforeFirstSep = isSep.cumSum(1).eq(0).toType(DataType.INT32, false);
        long[] separators = isSep.sum(new int[] {1}).toType(DataType.INT64, false).toLongArray();
        long[] tokens = real.sum(new int[] {1}).toType(DataType.INT64, false).toLongArray();
        for (int row = 0; row < separators.length; row++) {
            if (tokens[row] > 0 && separators[row] == 0) {
                throw new IllegalArgumentException("question answering: row " + row + " of the batch has no "
                        + "separator (token id " + sepTokenId + ") after its question; inputs must be "
                        + "<s> question </s> ... context </s>");
            }
        }
        return beforeFirstSep.mul(real);
    }

    private static NDArray real(NDArray attentionMask) {
        return attentionMask.neq(0).toType(DataType.INT32, false);
    }
}
