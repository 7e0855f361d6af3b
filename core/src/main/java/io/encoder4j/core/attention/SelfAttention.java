package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * The one interface of every attention mechanism: (B, N, E) hidden states in, (B, N, E) out, including the query,
 * key, value and output projections (the layout of Hugging Face's {@code RobertaSelfAttention} + the output dense).
 * Every mechanism takes any length N from 1 to the model's maximum (padding internally to its block, chunk or
 * segment multiple) and never lets padded positions change the outputs at real positions.
 *
 * <p>Subclasses implement {@link #attendHeads} on already projected and split heads; mechanisms that need other
 * projections (global attention, shared QK, gates) override {@link #attend} instead. Exact sparse patterns extend
 * {@link ExactPatternAttention}, which {@link GlobalAttention} combines with global tokens. Inputs of the block
 * form: {@code [hidden (B,N,E), paddingMask (B,N), additiveKeyMask (B,1,1,N)]}.
 */
public abstract class SelfAttention extends AbstractBlock {

    private static final byte VERSION = 1;

    protected final int hiddenSize;
    protected final int numHeads;
    protected final int headSize;
    protected final int maxLength;
    protected final float dropout;
    protected final Linear query;
    /** {@code null} for shared-QK mechanisms (Reformer), whose keys are the normalised queries. */
    protected final Linear key;
    protected final Linear value;
    protected final Linear output;
    private final List<Linear> projections = new ArrayList<>();

    protected SelfAttention(AttentionBuild build) {
        this(build, true);
    }

    protected SelfAttention(AttentionBuild build, boolean keyProjection) {
        super(VERSION);
        if (build.hiddenSize() % build.numHeads() != 0) {
            throw new IllegalArgumentException(
                    "hidden_size " + build.hiddenSize() + " is not divisible by num_heads " + build.numHeads());
        }
        this.hiddenSize = build.hiddenSize();
        this.numHeads = build.numHeads();
        this.headSize = hiddenSize / numHeads;
        this.maxLength = build.maxLength();
        this.dropout = build.config().dropout();
        this.query = projection("query");
        this.key = keyProjection ? projection("key") : null;
        this.value = projection("value");
        this.output = projection("output");
    }

    /** Adds a (E -> E) linear child that is initialised with the block. */
    protected final Linear projection(String name) {
        Linear linear = addChildBlock(name, Linear.builder().setUnits(hiddenSize).build());
        projections.add(linear);
        return linear;
    }

    /**
     * Attention over all heads.
     *
     * @param hidden (B, N, E)
     * @return (B, N, E) after the output projection
     */
    public NDArray attend(ParameterStore ps, NDArray hidden, AttentionContext ctx, boolean training) {
        NDArray q = positionedHeads(ps, query, hidden, ctx, training);
        NDArray k = positionedHeads(ps, key, hidden, ctx, training);
        NDArray v = heads(ps, value, hidden, training);
        NDArray context = attendHeads(q, k, v, ctx, training);
        return project(ps, output, Heads.merge(context), training);
    }

    /**
     * Projected and split heads of a vector that takes no position (values).
     *
     * @param hidden (B, N, E)
     * @return (B, H, N, D)
     */
    protected final NDArray heads(ParameterStore ps, Linear projection, NDArray hidden, boolean training) {
        return Heads.split(project(ps, projection, hidden, training), numHeads);
    }

    /**
     * Projected and split query or key heads, rotated by the context's rotary position tables when the model uses
     * RoPE. This is the one place where position enters attention: every mechanism (and every override of
     * {@link #attend}) takes its queries and keys from here, so rotary positions apply to all of them. Rotation is
     * valid wherever q and k are used as vectors: exact patterns and LSH (which then hash and normalise the rotated
     * vectors) see exactly the RoFormer scores q R_(n-m) k; kernel and low-rank approximations (linear, Performer,
     * RFA, Linformer, Nyström) approximate softmax attention over those same rotated scores.
     *
     * @param hidden (B, N, E)
     * @return (B, H, N, D)
     */
    protected final NDArray positionedHeads(ParameterStore ps, Linear projection, NDArray hidden,
            AttentionContext ctx, boolean training) {
        NDArray heads = heads(ps, projection, hidden, training);
        return ctx.rotary() == null ? heads : ctx.rotary().rotate(heads);
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


    /** Dropout on attention probabilities during training. */
    protected NDArray dropProbabilities(NDArray probs, boolean training) {
        return training && dropout > 0 ? Dropout.dropout(probs, dropout, true).singletonOrThrow() : probs;
    }

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
        for (Linear linear : projections) {
            linear.initialize(manager, dataType, hidden);
        }
    }
}
