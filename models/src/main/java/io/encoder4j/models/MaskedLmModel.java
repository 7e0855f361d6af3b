package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.core.tensor.Precision;

/**
 * Encoder + masked-LM head ({@code RobertaForMaskedLM}: children {@code encoder} and {@code lm_head}). Block inputs:
 * {@code [ids (B,N) INT64, attentionMask (B,N), maskedPositions (M) INT64]} where positions index the flattened
 * (B*N) sequence; output {@code [logits (M,V)]}. No global attention is placed automatically (Longformer's
 * masked-LM pretraining used none).
 */
public final class MaskedLmModel extends TaskModel {

    private static final byte VERSION = 1;

    private final MaskedLmHead head;

    public MaskedLmModel(EncoderConfig config) {
        super(VERSION, config, HeadConfig.maskedLm());
        this.head = addChildBlock("lm_head", new MaskedLmHead(config, encoder().embeddings().wordEmbeddings()));
    }

    /** Builds and initialises a model for inputs of (batch, length) on {@code manager}'s device. */
    public static MaskedLmModel create(EncoderConfig config, NDManager manager) {
        MaskedLmModel model = new MaskedLmModel(config);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 8), new Shape(1, 8), new Shape(1));
        return model;
    }

    /**
     * @param ids (B, N) INT64
     * @param attentionMask (B, N)
     * @param maskedPositions (M) INT64 indices into the flattened (B*N) positions
     * @return (M, V) logits
     */
    public NDArray maskedLogits(
            ParameterStore ps, NDArray ids, NDArray attentionMask, NDArray maskedPositions, boolean training) {
        NDArray hidden = hidden(ps, ids, attentionMask, training);
        long e = hidden.getShape().get(2);
        NDArray rows = hidden.reshape(-1, e).get(new NDIndex("{}", maskedPositions));
        return head.logits(ps, rows, training);
    }

    /** Mean cross-entropy of (M, V) logits against (M) INT64 labels. */
    public static NDArray loss(NDArray logits, NDArray labels) {
        // FP32 for log-softmax and the mean when the model runs in FP16 (Precision).
        NDArray logProbs = Precision.float32(logits).logSoftmax(-1);
        return logProbs.gather(labels.reshape(-1, 1), 1).mean().neg();
    }

    /** Number of rows whose arg-max equals the label, as a scalar array (no host sync). */
    public static NDArray correct(NDArray logits, NDArray labels) {
        return logits.argMax(-1).eq(labels).sum();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(maskedLogits(ps, inputs.get(0), inputs.get(1), inputs.get(2), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[2].get(0), config().vocabSize())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        encoder().initialize(manager, dataType, inputShapes[0], inputShapes[1]);
        head.initialize(manager, dataType, new Shape(inputShapes[2].get(0), config().hiddenSize()));
    }
}
