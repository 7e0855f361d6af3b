package io.encoder4j.core.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.core.attention.AttentionContext;
import io.encoder4j.core.attention.SelfAttention;

/**
 * One encoder layer. Post-LayerNorm as in BERT/RoBERTa: {@code h = LN(x + drop(attn(x)))},
 * {@code y = LN(h + drop(ffn(h)))}; or pre-LayerNorm (Xiong et al. 2020): {@code h = x + drop(attn(LN(x)))},
 * {@code y = h + drop(ffn(LN(h)))}, whose encoder then needs a final LayerNorm. Inputs of the block form:
 * {@code [hidden (B,N,E), paddingMask (B,N), additiveKeyMask (B,1,1,N)]}.
 *
 * <p>With a feed-forward chunk size c > 0 the position-wise part of the layer (the feed-forward network with its
 * LayerNorm, dropout and residual) runs on chunks of c positions ({@link SequenceChunks}, Reformer's chunked
 * feed-forward): the same outputs and gradients, a (B, c, F) instead of a (B, N, F) intermediate.
 *
 * <p>A pre-LN layer is also the two residual functions of a reversible layer (Reformer, Kitaev et al. 2020,
 * section 3): {@link #attentionBranch} F and {@link #feedForwardBranch} G, combined by {@link ReversibleStack}.
 */
public final class TransformerLayer extends AbstractBlock {

    private static final byte VERSION = 1;

    private final SelfAttention attention;
    private final LayerNorm attentionNorm;
    private final FeedForward feedForward;
    private final LayerNorm outputNorm;
    private final float dropout;
    private final boolean preNorm;
    private final int feedForwardChunkSize;

    public TransformerLayer(SelfAttention attention, int hiddenSize, int intermediateSize, float dropout,
            float layerNormEps, boolean preNorm) {
        this(attention, new FeedForward(hiddenSize, intermediateSize), dropout, layerNormEps, preNorm);
    }

    public TransformerLayer(SelfAttention attention, FeedForward feedForward, float dropout, float layerNormEps,
            boolean preNorm) {
        this(attention, feedForward, dropout, layerNormEps, preNorm, 0);
    }

    /**
     * @param feedForwardChunkSize positions per chunk of the position-wise part, or 0 for the whole sequence at once
     */
    public TransformerLayer(SelfAttention attention, FeedForward feedForward, float dropout, float layerNormEps,
            boolean preNorm, int feedForwardChunkSize) {
        super(VERSION);
        if (feedForwardChunkSize < 0) {
            throw new IllegalArgumentException("feed_forward_chunk_size must be >= 0, got " + feedForwardChunkSize);
        }
        this.preNorm = preNorm;
        this.attention = addChildBlock("attention", attention);
        this.attentionNorm = addChildBlock("attention_norm", layerNorm(layerNormEps));
        this.feedForward = addChildBlock("feed_forward", feedForward);
        this.outputNorm = addChildBlock("output_norm", layerNorm(layerNormEps));
        this.dropout = dropout;
        this.feedForwardChunkSize = feedForwardChunkSize;
    }

    /** LayerNorm over the last axis of (B, N, E); DJL's default would normalise over N and E together. */
    public static LayerNorm layerNorm(float eps) {
        return LayerNorm.builder().axis(2).optEpsilon(eps).build();
    }

    public boolean preNorm() {
        return preNorm;
    }

    /** Positions per chunk of the position-wise part (0: the whole sequence). */
    public int feedForwardChunkSize() {
        return feedForwardChunkSize;
    }

    /** (B, N, E) to (B, N, E). */
    public NDArray apply(ParameterStore ps, NDArray x, AttentionContext ctx, boolean training) {
        if (preNorm) {
            NDArray h = x.add(attentionBranch(ps, x, ctx, training));
            return h.add(feedForwardBranch(ps, h, training));
        }
        NDArray h = norm(ps, attentionNorm, x.add(dropout(attention.attend(ps, x, ctx, training), training)),
                training);
        return SequenceChunks.apply(h, feedForwardChunkSize, c -> norm(ps, outputNorm,
                c.add(dropout(feedForward.apply(ps, c, training), training)), training));
    }

    /**
     * The attention residual function of a pre-LN layer, F(x) = drop(attn(LN(x))) (B, N, E) to (B, N, E): the
     * layer's first half is x + F(x), and a reversible layer's y1 = x1 + F(x2).
     */
    public NDArray attentionBranch(ParameterStore ps, NDArray x, AttentionContext ctx, boolean training) {
        requirePreNorm();
        return dropout(attention.attend(ps, norm(ps, attentionNorm, x, training), ctx, training), training);
    }

    /**
     * The feed-forward residual function of a pre-LN layer, G(h) = drop(ffn(LN(h))) (B, N, E) to (B, N, E), chunked
     * along the sequence: the layer's second half is h + G(h), and a reversible layer's y2 = x2 + G(y1).
     */
    public NDArray feedForwardBranch(ParameterStore ps, NDArray h, boolean training) {
        requirePreNorm();
        return SequenceChunks.apply(h, feedForwardChunkSize, c -> feedForwardChunk(ps, c, training));
    }

    /** {@link #feedForwardBranch} on one chunk (or any positions): every position is independent of the others. */
    public NDArray feedForwardChunk(ParameterStore ps, NDArray h, boolean training) {
        requirePreNorm();
        return dropout(feedForward.apply(ps, norm(ps, outputNorm, h, training), training), training);
    }

    private void requirePreNorm() {
        if (!preNorm) {
            throw new IllegalStateException("residual branches exist only for pre-LayerNorm layers: a post-LN "
                    + "layer normalises the residual stream itself");
        }
    }

    private static NDArray norm(ParameterStore ps, LayerNorm norm, NDArray x, boolean training) {
        return norm.forward(ps, new NDList(x), training).singletonOrThrow();
    }

    private NDArray dropout(NDArray x, boolean training) {
        return training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        AttentionContext ctx = new AttentionContext(inputs.get(1), inputs.get(2));
        return new NDList(apply(ps, inputs.get(0), ctx, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = inputShapes[0];
        attention.initialize(manager, dataType, inputShapes);
        attentionNorm.initialize(manager, dataType, hidden);
        feedForward.initialize(manager, dataType, hidden);
        outputNorm.initialize(manager, dataType, hidden);
    }
}
