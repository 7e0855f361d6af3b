package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * transformers' {@code RobertaClassificationHead}: the hidden state of {@code <s>} (position 0), dropout,
 * {@code dense} E to E, tanh, dropout, {@code out_proj} E to num_labels. With GELU instead of tanh it is BigBird's
 * and Nystromformer's classification head, which apply the encoder's {@code hidden_act} there. Parameters {@code dense_weight} (E, E),
 * {@code dense_bias} (E), {@code out_proj_weight} (L, E), {@code out_proj_bias} (L), laid out as torch's
 * {@code nn.Linear} (out, in).
 */
public final class SequenceClassificationHead extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Linear dense;
    private final Linear outProj;
    private final float dropout;
    private final int numLabels;
    private final boolean gelu;

    public SequenceClassificationHead(int hiddenSize, int numLabels, float dropout) {
        this(hiddenSize, numLabels, dropout, HeadConfig.TANH);
    }

    /** @param activation {@link HeadConfig#TANH} or {@link HeadConfig#GELU} (exact erf GELU) */
    public SequenceClassificationHead(int hiddenSize, int numLabels, float dropout, String activation) {
        super(VERSION);
        if (!HeadConfig.CLASSIFIER_ACTIVATIONS.contains(activation)) {
            throw new IllegalArgumentException("unknown classifier activation " + activation);
        }
        this.gelu = activation.equals(HeadConfig.GELU);
        this.dense = addChildBlock("dense", Linear.builder().setUnits(hiddenSize).build());
        this.outProj = addChildBlock("out_proj", Linear.builder().setUnits(numLabels).build());
        this.dropout = dropout;
        this.numLabels = numLabels;
    }

    /**
     * @param hidden (B, N, E) encoder output
     * @return (B, L) logits
     */
    public NDArray logits(ParameterStore ps, NDArray hidden, boolean training) {
        // hidden: (B, N, E) -> x: (B, E), the <s> token (equivalent to BERT's [CLS])
        NDArray x = drop(hidden.get(":, 0, :"), training);
        x = dense.forward(ps, new NDList(x), training).singletonOrThrow();
        x = gelu ? Activation.gelu(x) : x.tanh();
        return outProj.forward(ps, new NDList(drop(x, training)), training).singletonOrThrow();
    }

    private NDArray drop(NDArray x, boolean training) {
        return training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(logits(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numLabels)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape rows = new Shape(inputShapes[0].get(0), inputShapes[0].get(2));
        dense.initialize(manager, dataType, rows);
        outProj.initialize(manager, dataType, rows);
    }
}
