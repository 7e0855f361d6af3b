package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * What every attention block receives besides the hidden states; built once per forward pass by the encoder and
 * shared by all its layers.
 *
 * @param paddingMask (B, N) in the model's float type: 1 at real tokens, 0 at padding
 * @param additiveKeyMask (B, 1, 1, N): 0 at real keys, {@link AttentionMasks#MASKED_SCORE} at padded keys (a fully
 *     {@code -inf} softmax row would give NaN, see DJL-NOTES.md)
 * @param global the global tokens of the batch, or {@code null} when there are none
 * @param rotary the rotary position tables that rotate every query and key ({@link RotaryEmbedding}), or
 *     {@code null} when the model has no rotary position encoding
 * @param replay {@code true} while a forward pass is recomputed for the backward pass of reversible layers: a
 *     mechanism whose training passes advance a state (Performer's feature redraw) must not advance it again, so
 *     that the recomputation sees exactly the function the first pass computed
 */
public record AttentionContext(NDArray paddingMask, NDArray additiveKeyMask, GlobalTokens global,
        RotaryEmbedding rotary, boolean replay) {

    /**
     * Positions that attend to every token and that every token attends to (Longformer's global attention).
     *
     * @param mask (B, N) 1 at global real tokens, 0 elsewhere
     * @param index (B, G) INT64 positions of each sequence's global tokens, left-aligned, 0 in unused slots
     * @param additiveSlotMask (B, 1, 1, G) 0 at used slots, MASKED_SCORE at unused ones
     * @param scatter (B, 1, N, G) one-hot: scatter[b, 0, n, g] = 1 when slot g of sequence b is position n
     */
    public record GlobalTokens(NDArray mask, NDArray index, NDArray additiveSlotMask, NDArray scatter) {

        public int slots() {
            return (int) index.getShape().get(1);
        }
    }

    public AttentionContext(NDArray paddingMask, NDArray additiveKeyMask) {
        this(paddingMask, additiveKeyMask, null);
    }

    public AttentionContext(NDArray paddingMask, NDArray additiveKeyMask, GlobalTokens global) {
        this(paddingMask, additiveKeyMask, global, null, false);
    }

    /** This context with rotary position tables. */
    public AttentionContext withRotary(RotaryEmbedding tables) {
        return new AttentionContext(paddingMask, additiveKeyMask, global, tables, replay);
    }

    /** This context for recomputing a forward pass in a backward pass (see {@code replay}). */
    public AttentionContext asReplay() {
        return new AttentionContext(paddingMask, additiveKeyMask, global, rotary, true);
    }

    /** Builds the context from a (B, N) mask of 1 (token) / 0 (padding) of any numeric type, in float32. */
    public static AttentionContext fromPaddingMask(NDArray attentionMask) {
        return fromMasks(attentionMask, null, DataType.FLOAT32);
    }

    /**
     * Builds the context in the given float type.
     *
     * @param attentionMask (B, N) 1 at tokens, 0 at padding
     * @param globalAttentionMask (B, N) 1 at global tokens, or {@code null}; read on the host once per batch to
     *     find the global positions
     */
    public static AttentionContext fromMasks(NDArray attentionMask, NDArray globalAttentionMask, DataType type) {
        NDArray mask = attentionMask.toType(type, false);
        NDArray additive = AttentionMasks.additiveKeyMask(mask);
        if (globalAttentionMask == null) {
            return new AttentionContext(mask, additive, null);
        }
        int b = (int) mask.getShape().get(0);
        int n = (int) mask.getShape().get(1);
        float[] real = attentionMask.toType(DataType.FLOAT32, false).toFloatArray();
        float[] g = globalAttentionMask.toType(DataType.FLOAT32, false).toFloatArray();
        int slots = 0;
        int[] counts = new int[b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < n; j++) {
                if (g[i * n + j] != 0 && real[i * n + j] != 0) {
                    counts[i]++;
                }
            }
            slots = Math.max(slots, counts[i]);
        }
        if (slots == 0) {
            return new AttentionContext(mask, additive, null);
        }
        long[] index = new long[b * slots];
        float[] slotMask = new float[b * slots];
        float[] scatter = new float[b * n * slots];
        float[] globalMask = new float[b * n];
        for (int i = 0; i < b; i++) {
            int s = 0;
            for (int j = 0; j < n; j++) {
                if (g[i * n + j] != 0 && real[i * n + j] != 0) {
                    index[i * slots + s] = j;
                    scatter[(i * n + j) * slots + s] = 1f;
                    globalMask[i * n + j] = 1f;
                    s++;
                }
            }
            for (; s < slots; s++) {
                slotMask[i * slots + s] = AttentionMasks.maskedScore(type);
            }
        }
        NDManager m = mask.getManager();
        GlobalTokens tokens = new GlobalTokens(
                m.create(globalMask, new Shape(b, n)).toType(type, false),
                m.create(index, new Shape(b, slots)),
                m.create(slotMask, new Shape(b, 1, 1, slots)).toType(type, false),
                m.create(scatter, new Shape(b, 1, n, slots)).toType(type, false));
        return new AttentionContext(mask, additive, tokens);
    }
}
