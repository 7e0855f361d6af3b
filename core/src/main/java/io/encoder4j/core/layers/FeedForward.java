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

/** Position-wise feed-forward network: dense (E to F), exact GELU, dense (F to E). */
public final class FeedForward extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Linear intermediate;
    private final Linear output;

    public FeedForward(int hiddenSize, int intermediateSize) {
        super(VERSION);
        this.intermediate = addChildBlock("intermediate", Linear.builder().setUnits(intermediateSize).build());
        this.output = addChildBlock("output", Linear.builder().setUnits(hiddenSize).build());
    }

    /** (B, N, E) to (B, N, E). */
    public NDArray apply(ParameterStore ps, NDArray x, boolean training) {
        NDArray h = intermediate.forward(ps, new NDList(x), training).singletonOrThrow();
        h = Activation.gelu(h);
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
        output.initialize(manager, dataType, intermediate.getOutputShapes(inputShapes)[0]);
    }
}
