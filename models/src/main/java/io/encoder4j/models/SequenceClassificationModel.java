package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.core.tensor.Precision;

/**
 * transformers' {@code RobertaForSequenceClassification}: the encoder and the {@code classifier}
 * ({@link SequenceClassificationHead}) on {@code <s>}. In models with {@code global} attention, {@code <s>} gets
 * global attention automatically ({@link GlobalAttentionMasks#firstToken}), as {@code LongformerForSequence
 * Classification} does. Block inputs {@code [ids (B,N) INT64, attentionMask (B,N)]}; output {@code [logits (B,L)]}.
 */
public final class SequenceClassificationModel extends TaskModel {

    private static final byte VERSION = 1;

    private final SequenceClassificationHead classifier;

    public SequenceClassificationModel(EncoderConfig config, HeadConfig head) {
        super(VERSION, config, requireType(head, HeadConfig.SEQUENCE_CLASSIFICATION));
        this.classifier = addChildBlock("classifier", new SequenceClassificationHead(config.hiddenSize(),
                head.numLabels(), head.classifierDropoutOr(config.dropout()), head.classifierActivation()));
    }

    /** Builds and initialises a model on {@code manager}'s device. */
    public static SequenceClassificationModel create(EncoderConfig config, HeadConfig head, NDManager manager) {
        SequenceClassificationModel model = new SequenceClassificationModel(config, head);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 8), new Shape(1, 8));
        return model;
    }

    @Override
    public NDArray automaticGlobalAttention(NDArray ids, NDArray attentionMask) {
        return usesGlobalAttention() ? GlobalAttentionMasks.firstToken(attentionMask) : null;
    }

    /**
     * @param ids (B, N) INT64, each row starting with {@code <s>}
     * @param attentionMask (B, N) 1 at tokens, 0 at padding
     * @return (B, L) logits: class scores, per-label scores (multi-label) or predicted values (regression)
     */
    public NDArray logits(ParameterStore ps, NDArray ids, NDArray attentionMask, boolean training) {
        return classifier.logits(ps, hidden(ps, ids, attentionMask, training), training);
    }

    /**
     * As {@link #logits(ParameterStore, NDArray, NDArray, boolean)} with an explicit global-attention mask instead
     * of the automatic one.
     *
     * @param globalAttentionMask (B, N) 1 at global tokens, or {@code null} for none
     */
    public NDArray logits(ParameterStore ps, NDArray ids, NDArray attentionMask, NDArray globalAttentionMask,
            boolean training) {
        return classifier.logits(ps, encoder().encode(ps, ids, attentionMask, globalAttentionMask, training),
                training);
    }

    /** The loss of this model's problem type; see {@link #loss(NDArray, NDArray, String)}. */
    public NDArray loss(NDArray logits, NDArray labels) {
        return loss(logits, labels, head().problemType());
    }

    /**
     * The loss transformers' {@code RobertaForSequenceClassification} computes for a problem type, averaged over
     * the batch:
     * <ul>
     *   <li>{@code single_label_classification}: softmax cross-entropy; labels (B) INT64 class ids;</li>
     *   <li>{@code multi_label_classification}: binary cross-entropy with logits, averaged over B x L; labels (B, L)
     *       of 0/1 (or soft targets in [0, 1]) as floats;</li>
     *   <li>{@code regression}: mean squared error over B x L; labels (B, L), or (B) when L = 1, as floats.</li>
     * </ul>
     *
     * @param logits (B, L)
     * @return a scalar
     */
    public static NDArray loss(NDArray logits, NDArray labels, String problemType) {
        // logits: (B, L), in FP32 when the model runs in FP16 (Precision)
        logits = Precision.float32(logits);
        return switch (problemType) {
            case HeadConfig.SINGLE_LABEL -> logits.logSoftmax(-1)
                    .gather(labels.toType(DataType.INT64, false).reshape(-1, 1), 1).mean().neg();
            case HeadConfig.MULTI_LABEL -> {
                NDArray y = labels.toType(logits.getDataType(), false).reshape(logits.getShape());
                // BCEWithLogitsLoss: -y log sigmoid(x) - (1 - y) log(1 - sigmoid(x)) = softplus(x) - x y, and
                // torch's softplus is stable for large |x|.
                yield Activation.softPlus(logits).sub(logits.mul(y)).mean();
            }
            case HeadConfig.REGRESSION -> logits.sub(labels.toType(logits.getDataType(), false)
                    .reshape(logits.getShape())).square().mean();
            default -> throw new IllegalArgumentException("unknown problem_type " + problemType);
        };
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(logits(ps, inputs.get(0), inputs.get(1), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), head().numLabels())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        encoder().initialize(manager, dataType, inputShapes[0], inputShapes[1]);
        classifier.initialize(manager, dataType, inputShapes[0].add(config().hiddenSize()));
    }
}
