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
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.core.layers.TransformerLayer;

/**
 * transformers' {@code BigBirdForQuestionAnsweringHead} ({@code qa_head: bigbird}), with the question handling of
 * {@code BigBirdForQuestionAnswering.forward}, read in transformers 5.18's {@code modeling_big_bird.py}:
 * <ul>
 *   <li>the head: dropout, {@code intermediate} (E to F, exact GELU: the encoder's {@code hidden_act}, which import
 *       requires to be {@code gelu}), {@code output} (F to E), dropout, then LayerNorm of that plus the encoder's
 *       output (a residual around the whole block), then {@code qa_outputs} (E to 2: start, end);</li>
 *   <li>the question ({@link #question}): the tokens up to and including the first separator, found from the ids
 *       when no {@code question_lengths} are given, as encoder4j never gives them. Every later position gets token
 *       type 1 ({@link #tokenTypes}), and the start and end logits of the question, {@code <s>} excepted, are
 *       lowered by {@value #QUESTION_PENALTY} ({@link #penalty}).</li>
 * </ul>
 * Parameters (torch's (out, in) layout): {@code intermediate_weight} (F, E), {@code intermediate_bias} (F),
 * {@code output_weight} (E, F), {@code output_bias} (E), {@code norm_gamma}/{@code _beta} (E),
 * {@code qa_outputs_weight} (2, E), {@code qa_outputs_bias} (2); transformers'
 * {@code qa_classifier.intermediate.dense}, {@code qa_classifier.output.dense}, {@code qa_classifier.output.LayerNorm}
 * and {@code qa_classifier.qa_outputs}.
 */
public final class BigBirdQuestionAnsweringHead extends AbstractBlock {

    private static final byte VERSION = 1;

    /** What {@code BigBirdForQuestionAnswering} subtracts from the question's logits ({@code logits_mask * 1e6}). */
    public static final float QUESTION_PENALTY = 1e6f;

    private final Linear intermediate;
    private final Linear output;
    private final LayerNorm norm;
    private final Linear qaOutputs;
    private final float dropout;
    private final int intermediateSize;

    /** @param dropout the encoder's {@code dropout} (transformers' {@code hidden_dropout_prob}), at both places */
    public BigBirdQuestionAnsweringHead(int hiddenSize, int intermediateSize, float dropout, float layerNormEps) {
        super(VERSION);
        this.intermediate = addChildBlock("intermediate", Linear.builder().setUnits(intermediateSize).build());
        this.output = addChildBlock("output", Linear.builder().setUnits(hiddenSize).build());
        this.norm = addChildBlock("norm", TransformerLayer.layerNorm(layerNormEps));
        this.qaOutputs = addChildBlock("qa_outputs", Linear.builder().setUnits(2).build());
        this.dropout = dropout;
        this.intermediateSize = intermediateSize;
    }

    /**
     * @param hidden (B, N, E) the encoder's output
     * @return (B, N, 2) start and end logits, before the question penalty
     */
    public NDArray logits(ParameterStore ps, NDArray hidden, boolean training) {
        // hidden: (B, N, E) -> h: (B, N, F) -> (B, N, E) -> (B, N, 2)
        NDArray h = intermediate.forward(ps, new NDList(drop(hidden, training)), training).singletonOrThrow();
        h = output.forward(ps, new NDList(Activation.gelu(h)), training).singletonOrThrow();
        h = norm.forward(ps, new NDList(drop(h, training).add(hidden)), training).singletonOrThrow();
        return qaOutputs.forward(ps, new NDList(h), training).singletonOrThrow();
    }

    private NDArray drop(NDArray x, boolean training) {
        return training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
    }

    /**
     * The question of each row, as {@code BigBirdForQuestionAnswering} finds it without {@code question_lengths}:
     * {@code question_lengths = argmax(ids == sep) + 1}, so every position up to and including the first separator.
     * A row without a separator has argmax 0: its question is {@code <s>} alone. Padding counts as in transformers,
     * which looks at the ids only.
     *
     * @param ids (B, N) token ids
     * @return (B, N) INT64, 1 on the question
     */
    public static NDArray question(NDArray ids, long sepTokenId) {
        // ids: (B, N)
        long n = ids.getShape().get(1);
        NDArray isSep = ids.toType(DataType.INT64, false).eq(sepTokenId).toType(DataType.INT64, false);
        // Separators strictly before each position: zero up to and including the first one.
        NDArray upToFirstSep = isSep.cumSum(1).sub(isSep).eq(0).toType(DataType.INT64, false);
        NDArray hasSep = isSep.sum(new int[] {1}, true).gt(0).toType(DataType.INT64, false);
        NDArray first = firstPosition(ids.getManager(), n);
        return upToFirstSep.mul(hasSep).maximum(first);
    }

    /**
     * transformers' token types when none are given: {@code ones - question mask}, 0 on the question and 1 at every
     * later position (padding included).
     *
     * @param ids (B, N) token ids
     * @return (B, N) INT64 0 or 1
     */
    public static NDArray tokenTypes(NDArray ids, long sepTokenId) {
        return question(ids, sepTokenId).eq(0).toType(DataType.INT64, false);
    }

    /**
     * What is subtracted from the start and end logits: {@value #QUESTION_PENALTY} on the question except position 0
     * (transformers sets {@code logits_mask[:, 0] = False}, which keeps {@code <s>}, SQuAD 2.0's "no answer"), 0
     * elsewhere.
     *
     * @param ids (B, N) token ids
     * @return (B, N) of {@code dataType}
     */
    public static NDArray penalty(NDArray ids, long sepTokenId, DataType dataType) {
        NDArray q = question(ids, sepTokenId);
        NDArray notFirst = firstPosition(ids.getManager(), ids.getShape().get(1)).eq(0).toType(DataType.INT64, false);
        return q.mul(notFirst).toType(dataType, false).mul(QUESTION_PENALTY);
    }

    /** (1, N) INT64: 1 at position 0. */
    private static NDArray firstPosition(NDManager manager, long n) {
        return manager.arange(0, (int) n, 1, DataType.INT32).eq(0).toType(DataType.INT64, false).reshape(1, n);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(logits(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {in.slice(0, in.dimension() - 1).add(2)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        intermediate.initialize(manager, dataType, in);
        output.initialize(manager, dataType, in.slice(0, in.dimension() - 1).add(intermediateSize));
        norm.initialize(manager, dataType, in);
        qaOutputs.initialize(manager, dataType, in);
    }
}
