package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * RoBERTa's masked-LM head (dense, GELU, LayerNorm, decoder tied to the word embeddings plus its own bias), applied
 * only to the rows that are predicted: the (M, E) gather happens before the head, so the (M, V) logits replace the
 * (B*N, V) ones a dense head would compute.
 */
public final class MaskedLmHead extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Linear dense;
    private final LayerNorm norm;
    private final Parameter bias;
    private final Parameter tiedDecoder;

    /** @param tiedDecoder the (V, E) word embedding parameter, owned by the embeddings block */
    public MaskedLmHead(EncoderConfig config, Parameter tiedDecoder) {
        super(VERSION);
        this.dense = addChildBlock("dense", Linear.builder().setUnits(config.hiddenSize()).build());
        this.norm = addChildBlock("norm", LayerNorm.builder().axis(1).optEpsilon(config.layerNormEps()).build());
        this.bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS)
                .optShape(new Shape(config.vocabSize())).build());
        this.tiedDecoder = tiedDecoder;
    }

    /**
     * @param rows (M, E) hidden states at predicted positions
     * @return (M, V) logits
     */
    public NDArray logits(ParameterStore ps, NDArray rows, boolean training) {
        NDArray h = Activation.gelu(dense.forward(ps, new NDList(rows), training).singletonOrThrow());
        h = norm.forward(ps, new NDList(h), training).singletonOrThrow();
        NDArray decoder = ps.getValue(tiedDecoder, rows.getDevice(), training);
        return h.matMul(decoder.transpose()).add(ps.getValue(bias, rows.getDevice(), training));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(logits(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), bias.getShape().get(0))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        dense.initialize(manager, dataType, inputShapes[0]);
        norm.initialize(manager, dataType, inputShapes[0]);
    }
}
