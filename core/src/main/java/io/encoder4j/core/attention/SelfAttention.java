package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The one interface of every attention mechanism: (B, N, E) hidden states in, (B, N, E) out, including the query,
 * key, value and output projections (the layout of Hugging Face's {@code RobertaSelfAttention} + the output dense).
 *
 * <p>Subclasses implement {@link #attendHeads} on already projected and split heads; mechanisms that need other
 * projections (global attention, shared QK) override {@link #attend} instead. Inputs of the block form:
 * {@code [hidden (B,N,E), paddingMask (B,N), additiveKeyMask (B,1,1,N)]}.
 */
public abstract class SelfAttention extends AbstractBlock {

    private static final byte VERSION = 1;

    protected final int hiddenSize;
    protected final int numHeads;
    protected final int headSize;
    protected final float dropout;
    protected final Linear query;
    protected final Linear key;
    protected final Linear value;
    protected final Linear output;

    protected SelfAttention(int hiddenSize, int numHeads, float dropout) {
        super(VERSION);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException(
                    "hidden_size " + hiddenSize + " is not divisible by num_heads " + numHeads);
        }
        this.hiddenSize = hiddenSize;
        this.numHeads = numHeads;
        this.headSize = hiddenSize / numHeads;
        this.dropout = dropout;
        this.query = addChildBlock("query", Linear.builder().setUnits(hiddenSize).build());
        this.key = addChildBlock("key", Linear.builder().setUnits(hiddenSize).build());
        this.value = addChildBlock("value", Linear.builder().setUnits(hiddenSize).build());
        this.output = addChildBlock("output", Linear.builder().setUnits(hiddenSize).build());
    }

    /**
     * Attention over all heads.
     *
     * @param hidden (B, N, E)
     * @return (B, N, E) after the output projection
     */
    public NDArray attend(ParameterStore ps, NDArray hidden, AttentionContext ctx, boolean training) {
        NDArray q = Heads.split(project(ps, query, hidden, training), numHeads);
        NDArray k = Heads.split(project(ps, key, hidden, training), numHeads);
        NDArray v = Heads.split(project(ps, value, hidden, training), numHeads);
        NDArray context = attendHeads(q, k, v, ctx, training);
        return project(ps, output, Heads.merge(context), training);
    }

    /**
     * The mechanism itself.
     *
     * @param q (B, H, N, D)
     * @param k (B, H, N, D)
     * @param v (B, H, N, D)
     * @return (B, H, N, D)
     */
    protected abstract NDArray attendHeads(
            NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training);

    protected static NDArray project(ParameterStore ps, Linear linear, NDArray x, boolean training) {
        return linear.forward(ps, new NDList(x), training).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        AttentionContext ctx = new AttentionContext(inputs.get(1), inputs.get(2));
        return new NDList(attend(ps, inputs.get(0), ctx, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(
            ai.djl.ndarray.NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = inputShapes[0];
        for (Linear linear : new Linear[] {query, key, value, output}) {
            linear.initialize(manager, dataType, hidden);
        }
    }
}
