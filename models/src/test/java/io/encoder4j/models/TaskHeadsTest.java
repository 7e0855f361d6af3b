package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The task heads: transformers' parameter names and shapes, the forward formulas, the losses against float64
 * references, gradients into every parameter, and automatic global attention.
 */
class TaskHeadsTest {

    static final int E = 16;
    static final EncoderConfig TINY = EncoderPresets.with(EncoderConfig.defaults(), Map.of("vocab_size", 30,
            "hidden_size", E, "num_layers", 2, "num_heads", 2, "intermediate_size", 32,
            "max_position_embeddings", 22, "dropout", 0.1));
    static final EncoderConfig TINY_GLOBAL = EncoderPresets.with(TINY, Map.of("attention",
            Map.of("type", "global", "window", 4, "dropout", 0.0), "dropout", 0.0));

    /** BigBird's question-answering head needs a second token type for the context. */
    static final EncoderConfig TINY_TYPES = EncoderPresets.with(TINY, Map.of("type_vocab_size", 2));
    static final HeadConfig BIG_BIRD_QA = new HeadConfig(HeadConfig.QUESTION_ANSWERING, null, null, null, null, 2,
            null, HeadConfig.QA_BIGBIRD);

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** Two rows, <s> q </s></s> c </s>, the second padded. */
    static NDArray ids(NDManager m) {
        return m.create(new long[] {0, 5, 6, 2, 2, 7, 8, 9, 2, 0, 5, 2, 2, 7, 2, 1, 1, 1}, new Shape(2, 9));
    }

    static NDArray mask(NDManager m) {
        return ids(m).neq(1).toType(DataType.FLOAT32, false);
    }

    private static Map<String, List<Long>> headShapes(TaskModel model) {
        Map<String, List<Long>> head = new LinkedHashMap<>();
        NamedParameters.shapes(model).forEach((name, shape) -> {
            if (!name.startsWith("encoder_")) {
                head.put(name, shape);
            }
        });
        return head;
    }

    @Test
    void headParametersAreNamedAndShapedAsTransformers() {
        Engine.getInstance().setRandomSeed(1);
        long e = E;
        assertEquals(Map.of("classifier_dense_weight", List.of(e, e), "classifier_dense_bias", List.of(e),
                "classifier_out_proj_weight", List.of(3L, e), "classifier_out_proj_bias", List.of(3L)),
                headShapes(TaskModel.create(TINY, HeadConfig.sequenceClassification(3, null), manager)));
        assertEquals(Map.of("qa_outputs_weight", List.of(2L, e), "qa_outputs_bias", List.of(2L)),
                headShapes(TaskModel.create(TINY, HeadConfig.questionAnswering(), manager)));
        assertEquals(Map.of("classifier_weight", List.of(5L, e), "classifier_bias", List.of(5L)),
                headShapes(TaskModel.create(TINY, HeadConfig.tokenClassification(5), manager)));
        // BigBirdForQuestionAnsweringHead: qa_classifier.{intermediate.dense, output.dense, output.LayerNorm,
        // qa_outputs}.
        TaskModel bigBird = TaskModel.create(TINY_TYPES, BIG_BIRD_QA, manager);
        assertEquals(Map.of("qa_classifier_intermediate_weight", List.of(32L, e), "qa_classifier_intermediate_bias",
                List.of(32L), "qa_classifier_output_weight", List.of(e, 32L), "qa_classifier_output_bias", List.of(e),
                "qa_classifier_norm_gamma", List.of(e), "qa_classifier_norm_beta", List.of(e),
                "qa_classifier_qa_outputs_weight", List.of(2L, e), "qa_classifier_qa_outputs_bias", List.of(2L)),
                headShapes(bigBird));
        assertEquals(List.of(2L, e), NamedParameters.shapes(bigBird).get("encoder_embeddings_token_type_embeddings"));
        assertEquals(List.of(1L, e), NamedParameters.shapes(TaskModel.create(TINY, HeadConfig.questionAnswering(),
                manager)).get("encoder_embeddings_token_type_embeddings"));
        assertEquals(Map.of("lm_head_dense_weight", List.of(e, e), "lm_head_dense_bias", List.of(e),
                "lm_head_norm_gamma", List.of(e), "lm_head_norm_beta", List.of(e), "lm_head_bias", List.of(30L)),
                headShapes(TaskModel.create(TINY, HeadConfig.maskedLm(), manager)));
    }

    /** (B, N, E) hidden states as float64 host arrays [b][n][e]. */
    private static double[][][] host(NDArray hidden) {
        long[] s = hidden.getShape().getShape();
        float[] flat = hidden.toFloatArray();
        double[][][] out = new double[(int) s[0]][(int) s[1]][(int) s[2]];
        for (int i = 0; i < flat.length; i++) {
            out[(int) (i / (s[1] * s[2]))][(int) (i / s[2] % s[1])][(int) (i % s[2])] = flat[i];
        }
        return out;
    }

    /** y = W x + b with torch's (out, in) layout, in float64. */
    private static double[] linear(Parameter weight, Parameter bias, double[] x) {
        float[] w = weight.getArray().toFloatArray();
        float[] b = bias.getArray().toFloatArray();
        double[] y = new double[b.length];
        for (int o = 0; o < b.length; o++) {
            y[o] = b[o];
            for (int i = 0; i < x.length; i++) {
                y[o] += w[o * x.length + i] * x[i];
            }
        }
        return y;
    }

    @Test
    void forwardFormulasMatchFloat64References() {
        Engine.getInstance().setRandomSeed(2);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray ids = ids(manager);
        NDArray mask = mask(manager);

        SequenceClassificationModel cls = (SequenceClassificationModel) TaskModel.create(TINY,
                HeadConfig.sequenceClassification(3, null), manager);
        Map<String, Parameter> p = NamedParameters.of(cls);
        double[][][] h = host(cls.hidden(ps, ids, mask, false));
        float[] logits = cls.logits(ps, ids, mask, false).toFloatArray();
        for (int b = 0; b < 2; b++) {
            double[] x = linear(p.get("classifier_dense_weight"), p.get("classifier_dense_bias"), h[b][0]);
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.tanh(x[i]);
            }
            double[] y = linear(p.get("classifier_out_proj_weight"), p.get("classifier_out_proj_bias"), x);
            for (int l = 0; l < 3; l++) {
                assertEquals(y[l], logits[b * 3 + l], 1e-5);
            }
        }

        QuestionAnsweringModel qa = (QuestionAnsweringModel) TaskModel.create(TINY, HeadConfig.questionAnswering(),
                manager);
        p = NamedParameters.of(qa);
        h = host(qa.hidden(ps, ids, mask, false));
        QuestionAnsweringModel.SpanLogits span = qa.logits(ps, ids, mask, false);
        assertEquals(new Shape(2, 9), span.start().getShape());
        float[] start = span.start().toFloatArray();
        float[] end = span.end().toFloatArray();
        for (int b = 0; b < 2; b++) {
            for (int n = 0; n < 9; n++) {
                double[] y = linear(p.get("qa_outputs_weight"), p.get("qa_outputs_bias"), h[b][n]);
                assertEquals(y[0], start[b * 9 + n], 1e-5);
                assertEquals(y[1], end[b * 9 + n], 1e-5);
            }
        }

        TokenClassificationModel tok = (TokenClassificationModel) TaskModel.create(TINY,
                HeadConfig.tokenClassification(4), manager);
        p = NamedParameters.of(tok);
        h = host(tok.hidden(ps, ids, mask, false));
        NDArray tokenLogits = tok.logits(ps, ids, mask, false);
        assertEquals(new Shape(2, 9, 4), tokenLogits.getShape());
        float[] t = tokenLogits.toFloatArray();
        for (int b = 0; b < 2; b++) {
            for (int n = 0; n < 9; n++) {
                double[] y = linear(p.get("classifier_weight"), p.get("classifier_bias"), h[b][n]);
                for (int l = 0; l < 4; l++) {
                    assertEquals(y[l], t[(b * 9 + n) * 4 + l], 1e-5);
                }
            }
        }
    }

    /** erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
    private static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                + t * 1.061405429)))) * Math.exp(-x * x);
        return Math.signum(x) * y;
    }

    /**
     * BigBirdForQuestionAnswering: the context (after the first separator) has token type 1, and the head is
     * LayerNorm(output(GELU(intermediate(h))) + h) then qa_outputs, with 1e6 taken off the question's logits after
     * {@code <s>}; against a float64 reference of that formula.
     */
    @Test
    void bigBirdQuestionAnsweringHeadIsTransformersFormula() {
        Engine.getInstance().setRandomSeed(6);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray ids = ids(manager);
        NDArray mask = mask(manager);
        QuestionAnsweringModel qa = (QuestionAnsweringModel) TaskModel.create(TINY_TYPES, BIG_BIRD_QA, manager);
        // Rows <s> q q </s></s> c c c </s> and <s> q </s></s> c </s> + padding (which counts as context, as there).
        long[] types = {0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1};
        assertArrayEquals(types, qa.automaticTokenTypes(ids).toLongArray());
        NDArray hidden = qa.hidden(ps, ids, mask, false);
        assertArrayEquals(qa.encoder().encode(ps, ids, mask, null, manager.create(types, new Shape(2, 9)), false)
                .toFloatArray(), hidden.toFloatArray(), 0f);
        assertFalse(java.util.Arrays.equals(hidden.toFloatArray(), qa.encoder().encode(ps, ids, mask, false)
                .toFloatArray()));

        Map<String, Parameter> p = NamedParameters.of(qa);
        double[][][] h = host(hidden);
        float[] gamma = p.get("qa_classifier_norm_gamma").getArray().toFloatArray();
        float[] beta = p.get("qa_classifier_norm_beta").getArray().toFloatArray();
        QuestionAnsweringModel.SpanLogits span = qa.logits(ps, ids, mask, false);
        float[] start = span.start().toFloatArray();
        float[] end = span.end().toFloatArray();
        boolean[] question = {false, true, true, true, false, false, false, false, false,
            false, true, true, false, false, false, false, false, false};
        for (int b = 0; b < 2; b++) {
            for (int n = 0; n < 9; n++) {
                double[] u = linear(p.get("qa_classifier_intermediate_weight"),
                        p.get("qa_classifier_intermediate_bias"), h[b][n]);
                for (int i = 0; i < u.length; i++) {
                    u[i] = 0.5 * u[i] * (1 + erf(u[i] / Math.sqrt(2)));
                }
                double[] v = linear(p.get("qa_classifier_output_weight"), p.get("qa_classifier_output_bias"), u);
                double mean = 0;
                for (int i = 0; i < E; i++) {
                    v[i] += h[b][n][i];
                    mean += v[i] / E;
                }
                double var = 0;
                for (int i = 0; i < E; i++) {
                    var += (v[i] - mean) * (v[i] - mean) / E;
                }
                for (int i = 0; i < E; i++) {
                    v[i] = (v[i] - mean) / Math.sqrt(var + TINY.layerNormEps()) * gamma[i] + beta[i];
                }
                double[] y = linear(p.get("qa_classifier_qa_outputs_weight"), p.get("qa_classifier_qa_outputs_bias"),
                        v);
                int at = b * 9 + n;
                if (question[at]) {
                    // x - 1e6 in float32: one grid step there is 0.0625.
                    assertEquals((float) y[0] - 1e6f, start[at], Math.ulp(1e6f), "start " + at);
                    assertEquals((float) y[1] - 1e6f, end[at], Math.ulp(1e6f), "end " + at);
                } else {
                    assertEquals(y[0], start[at], 1e-5, "start " + at);
                    assertEquals(y[1], end[at], 1e-5, "end " + at);
                }
            }
        }
    }

    /**
     * transformers' question_lengths = argmax(ids == sep) + 1: up to the first separator; a row whose first token is
     * the separator, or that has none (argmax 0), has the question {@code <s>} alone, and {@code <s>} is never
     * penalised.
     */
    @Test
    void bigBirdQuestionIsFoundAsTransformersFindsIt() {
        NDArray ids = manager.create(new long[] {0, 5, 2, 7, 2, 2, 5, 6, 7, 8, 0, 5, 6, 7, 8}, new Shape(3, 5));
        assertArrayEquals(new long[] {1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0},
                BigBirdQuestionAnsweringHead.question(ids, 2).toLongArray());
        assertArrayEquals(new long[] {0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1},
                BigBirdQuestionAnsweringHead.tokenTypes(ids, 2).toLongArray());
        assertArrayEquals(new float[] {0, 1e6f, 1e6f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                BigBirdQuestionAnsweringHead.penalty(ids, 2, DataType.FLOAT32).toFloatArray(), 0f);
    }

    @Test
    void bigBirdQuestionAnsweringNeedsTwoTokenTypesAndTrainsEveryParameter() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TaskModel.create(TINY, BIG_BIRD_QA, manager));
        assertEquals("qa_head: bigbird gives the context token type 1 and needs type_vocab_size 2 or more; this "
                + "encoder has 1", e.getMessage());
        Engine.getInstance().setRandomSeed(7);
        NDArray ids = ids(manager);
        NDArray mask = mask(manager);
        QuestionAnsweringModel qa = (QuestionAnsweringModel) TaskModel.create(TINY_TYPES, BIG_BIRD_QA, manager);
        ParameterStore ps = new ParameterStore(manager, false);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = QuestionAnsweringModel.loss(qa.logits(ps, ids, mask, true), mask,
                    manager.create(new long[] {5, 0}), manager.create(new long[] {7, 4}));
            assertTrue(Float.isFinite(loss.getFloat()), "loss " + loss.getFloat());
            gc.backward(loss);
        }
        for (Map.Entry<String, Parameter> p : NamedParameters.of(qa).entrySet()) {
            float norm = p.getValue().getArray().getGradient().abs().sum().getFloat();
            assertTrue(norm > 0 && Float.isFinite(norm), p.getKey() + " has gradient norm " + norm);
        }
        // Both token types are used, so both rows of the table learn.
        float[] types = NamedParameters.of(qa).get("encoder_embeddings_token_type_embeddings").getArray()
                .getGradient().abs().sum(new int[] {1}).toFloatArray();
        assertTrue(types[0] > 0 && types[1] > 0, java.util.Arrays.toString(types));
    }

    private static double logSoftmax(double[] row, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : row) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : row) {
            sum += Math.exp(v - max);
        }
        return row[k] - max - Math.log(sum);
    }

    @Test
    void sequenceClassificationLossesAreTransformers() {
        double[][] x = {{0.5, -1.0, 2.0}, {-0.3, 0.2, 0.1}};
        NDArray logits = manager.create(new float[] {0.5f, -1f, 2f, -0.3f, 0.2f, 0.1f}, new Shape(2, 3));
        // single label: mean of -log softmax at the label
        double ce = -(logSoftmax(x[0], 2) + logSoftmax(x[1], 0)) / 2;
        assertEquals(ce, SequenceClassificationModel.loss(logits, manager.create(new long[] {2, 0}),
                HeadConfig.SINGLE_LABEL).getFloat(), 1e-6);
        // multi label: mean over all B x L of -[y log s(x) + (1 - y) log(1 - s(x))]
        float[] y = {1, 0, 1, 0, 0, 1};
        double bce = 0;
        for (int i = 0; i < 6; i++) {
            double s = 1 / (1 + Math.exp(-x[i / 3][i % 3]));
            bce -= y[i] * Math.log(s) + (1 - y[i]) * Math.log(1 - s);
        }
        assertEquals(bce / 6, SequenceClassificationModel.loss(logits, manager.create(y, new Shape(2, 3)),
                HeadConfig.MULTI_LABEL).getFloat(), 1e-6);
        // large logits stay finite
        assertEquals(1000.0, SequenceClassificationModel.loss(manager.create(new float[] {-1000f}, new Shape(1, 1)),
                manager.create(new float[] {1f}, new Shape(1, 1)), HeadConfig.MULTI_LABEL).getFloat(), 1e-3);
        // regression, one target: labels (B) against logits (B, 1)
        NDArray values = manager.create(new float[] {1.5f, -2f}, new Shape(2, 1));
        assertEquals(((1.5 - 1) * (1.5 - 1) + (-2 - 0.5) * (-2 - 0.5)) / 2, SequenceClassificationModel.loss(values,
                manager.create(new float[] {1f, 0.5f}), HeadConfig.REGRESSION).getFloat(), 1e-6);
    }

    @Test
    void questionAnsweringLossIgnoresOutsidePositionsAndPadding() {
        double[][] start = {{0.1, 0.9, -0.4, 0.3}, {0.2, 0.0, 0.5, 7.0}};
        double[][] end = {{-0.2, 0.4, 1.1, 0.0}, {0.3, 0.6, -0.1, 9.0}};
        NDArray s = manager.create(new float[] {0.1f, 0.9f, -0.4f, 0.3f, 0.2f, 0f, 0.5f, 7f}, new Shape(2, 4));
        NDArray e = manager.create(new float[] {-0.2f, 0.4f, 1.1f, 0f, 0.3f, 0.6f, -0.1f, 9f}, new Shape(2, 4));
        NDArray mask = manager.create(new float[] {1, 1, 1, 1, 1, 1, 1, 0}, new Shape(2, 4));
        var span = new QuestionAnsweringModel.SpanLogits(s, e);
        // Row 1's last position is padding: its large logits must not enter the softmax.
        double[] s1 = {0.2, 0.0, 0.5};
        double[] e1 = {0.3, 0.6, -0.1};
        double both = (-(logSoftmax(start[0], 1) + logSoftmax(s1, 2)) / 2 - (logSoftmax(end[0], 2)
                + logSoftmax(e1, 2)) / 2) / 2;
        assertEquals(both, QuestionAnsweringModel.loss(span, mask, manager.create(new long[] {1, 2}),
                manager.create(new long[] {2, 2})).getFloat(), 1e-6);
        // An end position beyond the input (clamped to N = 4 and ignored) leaves only row 0's end term.
        double ignored = (-(logSoftmax(start[0], 1) + logSoftmax(s1, 2)) / 2 - logSoftmax(end[0], 2)) / 2;
        assertEquals(ignored, QuestionAnsweringModel.loss(span, mask, manager.create(new long[] {1, 2}),
                manager.create(new long[] {2, 40})).getFloat(), 1e-6);
    }

    @Test
    void tokenClassificationLossCountsLabelledRealTokensOnly() {
        NDArray logits = manager.create(new float[] {1, 0, 0, 2, 3, 1, 0, 0, 5, 5, 5, 9}, new Shape(1, 4, 3));
        NDArray labels = manager.create(new long[] {0, -100, 2, 1}, new Shape(1, 4));
        NDArray mask = manager.create(new float[] {1, 1, 1, 0}, new Shape(1, 4));
        double expected = -(logSoftmax(new double[] {1, 0, 0}, 0) + logSoftmax(new double[] {0, 0, 5}, 2)) / 2;
        assertEquals(expected, TokenClassificationModel.loss(logits, labels, mask).getFloat(), 1e-6);
        assertEquals(0f, TokenClassificationModel.loss(logits, manager.create(new long[] {-100, -100, -100, 2},
                new Shape(1, 4)), mask).getFloat(), 0f);
    }

    @Test
    void everyParameterOfEveryHeadGetsAGradient() {
        Engine.getInstance().setRandomSeed(4);
        NDArray ids = ids(manager);
        NDArray mask = mask(manager);
        Map<HeadConfig, BiFunction<TaskModel, ParameterStore, NDArray>> losses = new LinkedHashMap<>();
        losses.put(HeadConfig.sequenceClassification(3, null), (m, ps) -> ((SequenceClassificationModel) m)
                .loss(((SequenceClassificationModel) m).logits(ps, ids, mask, true), manager.create(new long[] {2, 0})));
        losses.put(HeadConfig.sequenceClassification(2, HeadConfig.MULTI_LABEL), (m, ps) ->
                ((SequenceClassificationModel) m).loss(((SequenceClassificationModel) m).logits(ps, ids, mask, true),
                        manager.create(new float[] {1, 0, 1, 1}, new Shape(2, 2))));
        losses.put(HeadConfig.sequenceClassification(1, null), (m, ps) -> ((SequenceClassificationModel) m)
                .loss(((SequenceClassificationModel) m).logits(ps, ids, mask, true),
                        manager.create(new float[] {0.5f, -1f})));
        losses.put(HeadConfig.questionAnswering(), (m, ps) -> QuestionAnsweringModel.loss(
                ((QuestionAnsweringModel) m).logits(ps, ids, mask, true), mask, manager.create(new long[] {5, 3}),
                manager.create(new long[] {7, 3})));
        losses.put(HeadConfig.tokenClassification(3), (m, ps) -> TokenClassificationModel.loss(
                ((TokenClassificationModel) m).logits(ps, ids, mask, true),
                manager.create(new long[] {-100, 0, 1, -100, -100, 2, 1, 0, -100, -100, 1, -100, -100, 2, -100, 0,
                        0, 0}, new Shape(2, 9)), mask));
        for (EncoderConfig config : List.of(TINY, TINY_GLOBAL)) {
            for (Map.Entry<HeadConfig, BiFunction<TaskModel, ParameterStore, NDArray>> c : losses.entrySet()) {
                TaskModel model = TaskModel.create(config, c.getKey(), manager);
                ParameterStore ps = new ParameterStore(manager, false);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = c.getValue().apply(model, ps);
                    assertTrue(Float.isFinite(loss.getFloat()), c.getKey() + ": loss " + loss.getFloat());
                    gc.backward(loss);
                }
                for (Map.Entry<String, Parameter> p : NamedParameters.of(model).entrySet()) {
                    if (config == TINY_GLOBAL && c.getKey().type().equals(HeadConfig.SEQUENCE_CLASSIFICATION)
                            && p.getKey().matches("encoder_layer1_attention_(query|key|value)_(weight|bias)")) {
                        // The head reads only <s>, which is global: in the last layer it attends through the
                        // global projections, and what the other positions compute there is never read.
                        continue;
                    }
                    if (config == TINY_GLOBAL && c.getKey().type().equals(HeadConfig.TOKEN_CLASSIFICATION)
                            && p.getKey().contains("_global_")) {
                        // Token classification places no global tokens, so the global projections are unused.
                        continue;
                    }
                    float norm = p.getValue().getArray().getGradient().abs().sum().getFloat();
                    assertTrue(norm > 0 && Float.isFinite(norm), c.getKey().type() + " "
                            + config.attention().get(0).type() + ": " + p.getKey() + " has gradient norm " + norm);
                }
            }
        }
    }

    @Test
    void globalAttentionIsPlacedOnTheStartTokenAndOnTheQuestion() {
        Engine.getInstance().setRandomSeed(5);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray ids = ids(manager);
        NDArray mask = mask(manager);
        SequenceClassificationModel cls = (SequenceClassificationModel) TaskModel.create(TINY_GLOBAL,
                HeadConfig.sequenceClassification(2, null), manager);
        assertTrue(cls.usesGlobalAttention());
        float[] automatic = cls.logits(ps, ids, mask, false).toFloatArray();
        assertArrayEquals(cls.logits(ps, ids, mask, GlobalAttentionMasks.firstToken(mask), false).toFloatArray(),
                automatic, 0f);
        // Without it, <s> would see only its window (and use the local projections): another result.
        assertFalse(java.util.Arrays.equals(automatic, cls.logits(ps, ids, mask, null, false).toFloatArray()));

        QuestionAnsweringModel qa = (QuestionAnsweringModel) TaskModel.create(TINY_GLOBAL,
                HeadConfig.questionAnswering(), manager);
        float[] start = qa.logits(ps, ids, mask, false).start().toFloatArray();
        assertArrayEquals(qa.logits(ps, ids, mask, GlobalAttentionMasks.questionTokens(ids, mask, 2), false)
                .start().toFloatArray(), start, 0f);
        assertFalse(java.util.Arrays.equals(start, qa.logits(ps, ids, mask, GlobalAttentionMasks.firstToken(mask),
                false).start().toFloatArray()));
        // Each row's span logits at its real positions are those it gets alone, though the rows have questions of
        // different lengths.
        for (int b = 0; b < 2; b++) {
            int len = b == 0 ? 9 : 6;
            NDArray row = ids.get(b + ":" + (b + 1) + ", 0:" + len);
            float[] alone = qa.logits(ps, row, manager.ones(new Shape(1, len)), false).start().toFloatArray();
            for (int n = 0; n < len; n++) {
                assertEquals(alone[n], start[b * 9 + n], 2e-5, "row " + b + " position " + n);
            }
        }
        // Models without global attention read no global mask at all.
        assertEquals(null, TaskModel.create(TINY, HeadConfig.questionAnswering(), manager)
                .automaticGlobalAttention(ids, mask));
    }
}
