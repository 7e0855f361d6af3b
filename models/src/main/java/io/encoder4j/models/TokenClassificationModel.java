package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.core.tensor.Precision;

/**
 * transformers' {@code RobertaForTokenClassification}: the encoder, dropout, and {@code classifier}, a linear E to
 * num_labels at every position (parameters {@code classifier_weight} (L, E) and {@code classifier_bias} (L)). No
 * global attention is placed automatically (Longformer's token classification places none). Block inputs
 * {@code [ids (B,N) INT64, attentionMask (B,N)]}; output {@code [logits (B,N,L)]}.
 */
public final class TokenClassificationModel extends TaskModel {

    private static final byte VERSION = 1;

    /** The label of positions that do not count in the loss (sub-word continuations, specials), as PyTorch's. */
    public static final long IGNORE_INDEX = -100;

    private final Linear classifier;
    private final float dropout;

    public TokenClassificationModel(EncoderConfig config, HeadConfig head) {
        super(VERSION, config, requireType(head, HeadConfig.TOKEN_CLASSIFICATION));
        this.classifier = addChildBlock("classifier", Linear.builder().setUnits(head.numLabels()).build());
        this.dropout = head.classifierDropoutOr(config.dropout());
    }

    /** Builds and initialises a model on {@code manager}'s device. */
    public static TokenClassificationModel create(EncoderConfig config, HeadConfig head, NDManager manager) {
        TokenClassificationModel model = new TokenClassificationModel(config, head);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 8), new Shape(1, 8));
        return model;
    }

    /**
     * @param ids (B, N) INT64
     * @param attentionMask (B, N) 1 at tokens, 0 at padding
     * @return (B, N, L) logits
     */
    public NDArray logits(ParameterStore ps, NDArray ids, NDArray attentionMask, boolean training) {
        return classify(ps, hidden(ps, ids, attentionMask, training), training);
    }

    /**
     * As {@link #logits(ParameterStore, NDArray, NDArray, boolean)} with an explicit global-attention mask.
     *
     * @param globalAttentionMask (B, N) 1 at global tokens, or {@code null} for none
     */
    public NDArray logits(ParameterStore ps, NDArray ids, NDArray attentionMask, NDArray globalAttentionMask,
            boolean training) {
        return classify(ps, encoder().encode(ps, ids, attentionMask, globalAttentionMask, training), training);
    }

    private NDArray classify(ParameterStore ps, NDArray hidden, boolean training) {
        // hidden: (B, N, E) -> (B, N, L)
        NDArray x = training && dropout > 0 ? Dropout.dropout(hidden, dropout, true).singletonOrThrow() : hidden;
        return classifier.forward(ps, new NDList(x), training).singletonOrThrow();
    }

    /**
     * Cross-entropy averaged over the counted positions: real tokens (attention mask 1) whose label is not
     * {@link #IGNORE_INDEX} (transformers counts every position not labelled -100; padding is excluded here even
     * when its label is another value).
     *
     * @param logits (B, N, L)
     * @param labels (B, N) INT64 class ids, or -100
     * @param attentionMask (B, N) 1 at tokens, 0 at padding
     * @return a scalar (0 when no position counts)
     */
    public static NDArray loss(NDArray logits, NDArray labels, NDArray attentionMask) {
        // In FP32 when the model runs in FP16 (Precision).
        logits = Precision.float32(logits);
        long l = logits.getShape().get(2);
        NDArray y = labels.toType(DataType.INT64, false).reshape(-1, 1);
        NDArray counted = y.neq(IGNORE_INDEX).logicalAnd(attentionMask.reshape(-1, 1).neq(0))
                .toType(logits.getDataType(), false);
        // Ignored rows gather class 0, then count 0.
        NDArray safe = y.mul(counted.toType(DataType.INT64, false));
        NDArray picked = logits.reshape(-1, l).logSoftmax(-1).gather(safe, 1);
        return picked.mul(counted).sum().neg().div(counted.sum().maximum(1f));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(logits(ps, inputs.get(0), inputs.get(1), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(head().numLabels())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        encoder().initialize(manager, dataType, inputShapes[0], inputShapes[1]);
        classifier.initialize(manager, dataType, inputShapes[0].add(config().hiddenSize()));
    }
}
