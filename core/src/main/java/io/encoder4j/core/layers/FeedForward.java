package io.encoder4j.core.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Position-wise feed-forward network: dense (E to F), exact GELU, dense (F to E); or, gated, GeGLU (Shazeer 2020,
 * "GLU Variants Improve Transformer", eq. 6, as ModernBERT uses it): dense (E to 2F) split into a and g,
 * GELU(a) * g, dense (F to E).
 */
public final class FeedForward extends AbstractBlock {

    private static final byte VERSION = 1;

    public static final String GELU = "gelu";
    public static final String GEGLU = "geglu";

    private final Linear intermediate;
    private final Linear output;
    private final int intermediateSize;
    private final boolean gated;

    public FeedForward(int hiddenSize, int intermediateSize) {
        this(hiddenSize, intermediateSize, false);
    }

    /** @param gated GeGLU instead of a plain GELU layer (twice the input projection, same output width F) */
    public FeedForward(int hiddenSize, int intermediateSize, boolean gated) {
        super(VERSION);
        this.intermediateSize = intermediateSize;
        this.gated = gated;
        this.intermediate = addChildBlock("intermediate",
                Linear.builder().setUnits(gated ? 2L * intermediateSize : intermediateSize).build());
        this.output = addChildBlock("output", Linear.builder().setUnits(hiddenSize).build());
    }

    /** (B, N, E) to (B, N, E). */
    public NDArray apply(ParameterStore ps, NDArray x, boolean training) {
        NDArray h = intermediate.forward(ps, new NDList(x), training).singletonOrThrow();
        if (gated) {
            // (B, N, 2F) -> a, g (B, N, F): GELU(a) * g.
            NDList parts = h.split(2, h.getShape().dimension() - 1);
            h = Activation.gelu(parts.get(0)).mul(parts.get(1));
        } else {
            h = Activation.gelu(h);
        }
        return output.forward(ps, new NDList(h), training).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(apply(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        intermediate.initialize(manager, dataType, inputShapes[0]);
        Shape in = inputShapes[0];
        output.initialize(manager, dataType, in.slice(0, in.dimension() - 1).add(intermediateSize));
    }
}
