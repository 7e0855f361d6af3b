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
 * {@code y = h + drop(ffn(LN(h)))}, whose encoder then needs a final LayerNorm. Inputs of the block form: {@code [hidden (B,N,E), paddingMask (B,N),
 * additiveKeyMask (B,1,1,N)]}.
 */
public final class TransformerLayer extends AbstractBlock {

    private static final byte VERSION = 1;

    private final SelfAttention attention;
    private final LayerNorm attentionNorm;
    private final FeedForward feedForward;
    private final LayerNorm outputNorm;
    private final float dropout;
    private final boolean preNorm;

    public TransformerLayer(SelfAttention attention, int hiddenSize, int intermediateSize, float dropout,
            float layerNormEps, boolean preNorm) {
        this(attention, new FeedForward(hiddenSize, intermediateSize), dropout, layerNormEps, preNorm);
    }

    public TransformerLayer(SelfAttention attention, FeedForward feedForward, float dropout, float layerNormEps,
            boolean preNorm) {
        super(VERSION);
        this.preNorm = preNorm;
        this.attention = addChildBlock("attention", attention);
        this.attentionNorm = addChildBlock("attention_norm", layerNorm(layerNormEps));
        this.feedForward = addChildBlock("feed_forward", feedForward);
        this.outputNorm = addChildBlock("output_norm", layerNorm(layerNormEps));
        this.dropout = dropout;
    }

    /** LayerNorm over the last axis of (B, N, E); DJL's default would normalise over N and E together. */
    public static LayerNorm layerNorm(float eps) {
        return LayerNorm.builder().axis(2).optEpsilon(eps).build();
    }

    /** (B, N, E) to (B, N, E). */
    public NDArray apply(ParameterStore ps, NDArray x, AttentionContext ctx, boolean training) {
        if (preNorm) {
            NDArray h = x.add(dropout(attention.attend(ps, norm(ps, attentionNorm, x, training), ctx, training),
                    training));
            return h.add(dropout(feedForward.apply(ps, norm(ps, outputNorm, h, training), training), training));
        }
        NDArray h = norm(ps, attentionNorm, x.add(dropout(attention.attend(ps, x, ctx, training), training)),
                training);
        return norm(ps, outputNorm, h.add(dropout(feedForward.apply(ps, h, training), training)), training);
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
