package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.core.attention.AttentionMasks;
import io.encoder4j.core.tensor.Precision;
import io.encoder4j.core.tensor.Scalars;

/**
 * transformers' {@code RobertaForQuestionAnswering}: the encoder and {@code qa_outputs}, a linear E to 2 whose
 * outputs are the start and end logits of the answer span (parameters {@code qa_outputs_weight} (2, E), row 0 start
 * and row 1 end, and {@code qa_outputs_bias} (2)). In models with {@code global} attention the question tokens get
 * global attention automatically ({@link GlobalAttentionMasks#questionTokens}), as {@code LongformerForQuestion
 * Answering} does. With {@code qa_head: bigbird} it is {@code BigBirdForQuestionAnswering} instead: the head is
 * {@link BigBirdQuestionAnsweringHead} (child {@code qa_classifier}), the context gets token type 1 and the question's
 * logits are lowered, all found from the first {@code sep_token_id} of each row. Block inputs
 * {@code [ids (B,N) INT64, attentionMask (B,N)]}; outputs {@code [start (B,N), end (B,N)]}.
 */
public final class QuestionAnsweringModel extends TaskModel {

    private static final byte VERSION = 1;

    /** {@code qa_head: linear}; else {@code null}. */
    private final Linear qaOutputs;
    /** {@code qa_head: bigbird}; else {@code null}. */
    private final BigBirdQuestionAnsweringHead bigBirdHead;

    /**
     * Start and end logits of every position; like transformers', they are not masked at padding (the loss is).
     *
     * @param start (B, N)
     * @param end (B, N)
     */
    public record SpanLogits(NDArray start, NDArray end) {}

    public QuestionAnsweringModel(EncoderConfig config, HeadConfig head) {
        super(VERSION, config, requireType(head, HeadConfig.QUESTION_ANSWERING));
        if (head.isBigBirdQa()) {
            if (config.typeVocabSize() < 2) {
                throw new IllegalArgumentException("qa_head: bigbird gives the context token type 1 and needs "
                        + "type_vocab_size 2 or more; this encoder has " + config.typeVocabSize());
            }
            this.qaOutputs = null;
            this.bigBirdHead = addChildBlock("qa_classifier", new BigBirdQuestionAnsweringHead(config.hiddenSize(),
                    config.intermediateSize(), config.dropout(), config.layerNormEps()));
        } else {
            this.qaOutputs = addChildBlock("qa_outputs", Linear.builder().setUnits(2).build());
            this.bigBirdHead = null;
        }
    }

    /** Builds and initialises a model on {@code manager}'s device. */
    public static QuestionAnsweringModel create(EncoderConfig config, HeadConfig head, NDManager manager) {
        QuestionAnsweringModel model = new QuestionAnsweringModel(config, head);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 8), new Shape(1, 8));
        return model;
    }

    @Override
    public NDArray automaticGlobalAttention(NDArray ids, NDArray attentionMask) {
        return usesGlobalAttention()
                ? GlobalAttentionMasks.questionTokens(ids, attentionMask, head().sepTokenId()) : null;
    }

    /** {@code qa_head: bigbird}: type 0 up to the first separator, 1 after it. Otherwise none (type 0). */
    @Override
    public NDArray automaticTokenTypes(NDArray ids) {
        return bigBirdHead == null ? null : BigBirdQuestionAnsweringHead.tokenTypes(ids, head().sepTokenId());
    }

    /**
     * @param ids (B, N) INT64: {@code <s> question </s></s> context </s>} (any number of separators after the first)
     * @param attentionMask (B, N) 1 at tokens, 0 at padding
     */
    public SpanLogits logits(ParameterStore ps, NDArray ids, NDArray attentionMask, boolean training) {
        return span(ps, ids, hidden(ps, ids, attentionMask, training), training);
    }

    /**
     * As {@link #logits(ParameterStore, NDArray, NDArray, boolean)} with an explicit global-attention mask.
     *
     * @param globalAttentionMask (B, N) 1 at global tokens, or {@code null} for none
     */
    public SpanLogits logits(ParameterStore ps, NDArray ids, NDArray attentionMask, NDArray globalAttentionMask,
            boolean training) {
        return span(ps, ids, hidden(ps, ids, attentionMask, globalAttentionMask, training), training);
    }

    private SpanLogits span(ParameterStore ps, NDArray ids, NDArray hidden, boolean training) {
        // hidden: (B, N, E) -> (B, N, 2) -> two (B, N)
        if (bigBirdHead != null) {
            NDArray both = bigBirdHead.logits(ps, hidden, training);
            // The question (after <s>) is taken out of the competition, as BigBirdForQuestionAnswering does.
            NDArray penalty = BigBirdQuestionAnsweringHead.penalty(ids, head().sepTokenId(), both.getDataType());
            return new SpanLogits(both.get(":, :, 0").sub(penalty), both.get(":, :, 1").sub(penalty));
        }
        NDArray both = qaOutputs.forward(ps, new NDList(hidden), training).singletonOrThrow();
        return new SpanLogits(both.get(":, :, 0"), both.get(":, :, 1"));
    }

    /**
     * transformers' QA loss, (cross-entropy of the start + cross-entropy of the end) / 2, each averaged over the
     * rows whose position is inside the input: positions are clamped to [0, N] and N is ignored, so an answer
     * truncated away contributes nothing; (0 is {@code <s>}, SQuAD 2.0's "no answer"). One difference: padded
     * positions are excluded from the softmax, so the loss does not depend on how much padding a batch has.
     *
     * @param logits start and end (B, N)
     * @param attentionMask (B, N) 1 at tokens, 0 at padding
     * @param startPositions (B) INT64 token index of the answer's first token
     * @param endPositions (B) INT64 token index of the answer's last token
     * @return a scalar (0 when every position is ignored)
     */
    public static NDArray loss(SpanLogits logits, NDArray attentionMask, NDArray startPositions,
            NDArray endPositions) {
        // In FP32 when the model runs in FP16 (Precision).
        logits = new SpanLogits(Precision.float32(logits.start()), Precision.float32(logits.end()));
        NDArray padding = attentionMask.eq(0).toType(logits.start().getDataType(), false)
                .mul(AttentionMasks.MASKED_SCORE);
        NDArray start = spanCrossEntropy(logits.start().add(padding), startPositions);
        NDArray end = spanCrossEntropy(logits.end().add(padding), endPositions);
        return Scalars.mul(start.add(end), 0.5);
    }

    /** Mean cross-entropy over rows whose position, clamped to [0, N], is not N. */
    private static NDArray spanCrossEntropy(NDArray logits, NDArray positions) {
        // logits: (B, N); positions: (B)
        long n = logits.getShape().get(1);
        NDArray clamped = positions.toType(DataType.INT64, false).reshape(-1, 1).clip(0, n);
        NDArray counted = clamped.neq(n).toType(logits.getDataType(), false);
        NDArray picked = logits.logSoftmax(-1).gather(clamped.minimum(n - 1), 1);
        return picked.mul(counted).sum().neg().div(counted.sum().maximum(1f));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        SpanLogits span = logits(ps, inputs.get(0), inputs.get(1), training);
        return new NDList(span.start(), span.end());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0], inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        encoder().initialize(manager, dataType, inputShapes[0], inputShapes[1]);
        Shape hidden = inputShapes[0].add(config().hiddenSize());
        if (bigBirdHead != null) {
            bigBirdHead.initialize(manager, dataType, hidden);
        } else {
            qaOutputs.initialize(manager, dataType, hidden);
        }
    }
}
