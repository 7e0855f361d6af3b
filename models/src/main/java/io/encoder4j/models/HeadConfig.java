package io.encoder4j.models;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.encoder4j.core.config.Checks;
import io.encoder4j.core.config.Suggestions;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The task head on top of the encoder, named and shaped as Hugging Face's RoBERTa task models so that a model can be
 * exported to {@code transformers}. In YAML:
 *
 * <pre>
 * head:
 *   type: sequence_classification      # masked_lm | sequence_classification | question_answering | token_classification
 *   problem_type: single_label_classification   # or multi_label_classification, regression
 *   labels: [negative, positive]       # optional label names; num_labels is then their count
 *   classifier_dropout: 0.1            # optional; unset = the encoder's dropout, as transformers does
 *   classifier_activation: tanh        # tanh (RoBERTa, Longformer) or gelu (BigBird, Nystromformer)
 *   qa_head: linear                    # question answering: linear (RoBERTa, Longformer, Nystromformer) or bigbird
 * </pre>
 *
 * Only the keys of the chosen type may be set; the others stay {@code null} and are not written to
 * {@code model.json}.
 *
 * @param type {@code masked_lm}, {@code sequence_classification}, {@code question_answering} or
 *     {@code token_classification}
 * @param numLabels outputs of the classifier: classes, or regression targets. Defaults: the number of
 *     {@code labels} if given, else 1 for regression and 2 otherwise (transformers' default); question answering
 *     always has 2 (start and end)
 * @param problemType sequence classification only, as transformers names it: {@code single_label_classification}
 *     (softmax cross-entropy; the default when num_labels &gt; 1), {@code multi_label_classification} (sigmoid
 *     binary cross-entropy per label), {@code regression} (mean squared error; the default when num_labels = 1)
 * @param labels optional names of the labels in id order (transformers' {@code id2label}); classification only
 * @param classifierDropout dropout before the classifier (transformers' {@code classifier_dropout}); {@code null}
 *     uses the encoder's {@code dropout}. Sequence and token classification only
 * @param sepTokenId question answering only: the separator id that ends the question ({@code </s>}, 2 in RoBERTa's
 *     vocabulary); the question tokens before it get global attention in models with {@code global} attention
 * @param classifierActivation sequence classification only: the activation between {@code dense} and
 *     {@code out_proj}. {@code tanh} (the default) is RoBERTa's and Longformer's classification head; {@code gelu}
 *     (exact erf GELU) is BigBird's and Nystromformer's, which apply the encoder's {@code hidden_act} there, so that
 *     their checkpoints import exactly (docs/interop.md)
 * @param qaHead question answering only: {@code linear} (the default) is RoBERTa's, Longformer's and Nystromformer's
 *     head, one {@code qa_outputs} layer. {@code bigbird} is {@code BigBirdForQuestionAnswering}'s: a feed-forward
 *     block with a residual and its own LayerNorm before {@code qa_outputs}, token type 1 after the question (the
 *     tokens up to and including the first {@code sep_token_id}), and start and end logits lowered by 1e6 on the
 *     question after {@code <s>}; it needs {@code type_vocab_size} 2 or more ({@link QuestionAnsweringModel})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HeadConfig(
        String type, Integer numLabels, String problemType, List<String> labels, Float classifierDropout,
        Integer sepTokenId, String classifierActivation, String qaHead) {

    public static final String MASKED_LM = "masked_lm";
    public static final String SEQUENCE_CLASSIFICATION = "sequence_classification";
    public static final String QUESTION_ANSWERING = "question_answering";
    public static final String TOKEN_CLASSIFICATION = "token_classification";
    public static final List<String> TYPES =
            List.of(MASKED_LM, SEQUENCE_CLASSIFICATION, QUESTION_ANSWERING, TOKEN_CLASSIFICATION);

    public static final String SINGLE_LABEL = "single_label_classification";
    public static final String MULTI_LABEL = "multi_label_classification";
    public static final String REGRESSION = "regression";
    public static final List<String> PROBLEM_TYPES = List.of(SINGLE_LABEL, MULTI_LABEL, REGRESSION);

    public static final String TANH = "tanh";
    public static final String GELU = "gelu";
    /** The activations of the sequence-classification head, between {@code dense} and {@code out_proj}. */
    public static final List<String> CLASSIFIER_ACTIVATIONS = List.of(TANH, GELU);

    /** RoBERTa's question-answering head: one linear layer. */
    public static final String QA_LINEAR = "linear";
    /** BigBird's question-answering head ({@code BigBirdForQuestionAnsweringHead} and its question handling). */
    public static final String QA_BIGBIRD = "bigbird";
    public static final List<String> QA_HEADS = List.of(QA_LINEAR, QA_BIGBIRD);

    /** RoBERTa's {@code </s>}. */
    public static final int DEFAULT_SEP_TOKEN_ID = 2;

    private static final Map<String, Set<String>> KEYS = Map.of(
            MASKED_LM, Set.of(),
            SEQUENCE_CLASSIFICATION, Set.of("num_labels", "problem_type", "labels", "classifier_dropout",
                    "classifier_activation"),
            QUESTION_ANSWERING, Set.of("num_labels", "sep_token_id", "qa_head"),
            TOKEN_CLASSIFICATION, Set.of("num_labels", "labels", "classifier_dropout"));

    public HeadConfig {
        if (type == null) {
            throw new IllegalArgumentException("type must be set: one of " + String.join(", ", TYPES));
        }
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("type: unknown head type '" + type + "'"
                    + Suggestions.didYouMean(type, TYPES) + " (known: " + String.join(", ", TYPES) + ")");
        }
        Map<String, Object> given = new LinkedHashMap<>();
        given.put("num_labels", numLabels);
        given.put("problem_type", problemType);
        given.put("labels", labels);
        given.put("classifier_dropout", classifierDropout);
        given.put("sep_token_id", sepTokenId);
        given.put("classifier_activation", classifierActivation);
        given.put("qa_head", qaHead);
        Set<String> keys = KEYS.get(type);
        for (Map.Entry<String, Object> e : given.entrySet()) {
            if (e.getValue() != null && !keys.contains(e.getKey())) {
                throw new IllegalArgumentException(e.getKey() + " does not apply to head type '" + type + "'"
                        + (keys.isEmpty() ? " (it takes only type)"
                                : " (its keys: " + String.join(", ", keys.stream().sorted().toList()) + ")"));
            }
        }
        if (labels != null) {
            labels = List.copyOf(labels);
            Set<String> seen = new HashSet<>();
            for (String label : labels) {
                if (label == null || label.isBlank()) {
                    throw new IllegalArgumentException("labels must not contain empty names");
                }
                if (!seen.add(label)) {
                    throw new IllegalArgumentException("labels: '" + label + "' appears twice");
                }
            }
        }
        if (type.equals(QUESTION_ANSWERING)) {
            if (numLabels != null && numLabels != 2) {
                throw new IllegalArgumentException("num_labels must be 2 for question_answering (start and end "
                        + "logits), got " + numLabels);
            }
            numLabels = 2;
            sepTokenId = Checks.nonNegative("sep_token_id", sepTokenId == null ? DEFAULT_SEP_TOKEN_ID : sepTokenId);
            if (qaHead != null && !QA_HEADS.contains(qaHead)) {
                throw new IllegalArgumentException("qa_head: unknown '" + qaHead + "'"
                        + Suggestions.didYouMean(qaHead, QA_HEADS) + " (known: " + String.join(", ", QA_HEADS) + ")");
            }
            qaHead = qaHead == null ? QA_LINEAR : qaHead;
        }
        if (type.equals(SEQUENCE_CLASSIFICATION)) {
            if (problemType != null && !PROBLEM_TYPES.contains(problemType)) {
                throw new IllegalArgumentException("problem_type: unknown '" + problemType + "'"
                        + Suggestions.didYouMean(problemType, PROBLEM_TYPES) + " (known: "
                        + String.join(", ", PROBLEM_TYPES) + ")");
            }
            if (numLabels == null) {
                numLabels = labels != null ? labels.size() : REGRESSION.equals(problemType) ? 1 : 2;
            }
            Checks.positive("num_labels", numLabels);
            // transformers' inference when problem_type is unset: one output is a regression.
            problemType = problemType != null ? problemType : numLabels == 1 ? REGRESSION : SINGLE_LABEL;
            if (problemType.equals(SINGLE_LABEL) && numLabels < 2) {
                throw new IllegalArgumentException("num_labels must be at least 2 for single_label_classification "
                        + "(one class has a constant softmax), got " + numLabels
                        + "; use problem_type: regression or multi_label_classification");
            }
            if (problemType.equals(REGRESSION) && labels != null) {
                throw new IllegalArgumentException("labels (names of classes) do not apply to problem_type regression");
            }
            if (classifierActivation != null && !CLASSIFIER_ACTIVATIONS.contains(classifierActivation)) {
                throw new IllegalArgumentException("classifier_activation: unknown '" + classifierActivation + "'"
                        + Suggestions.didYouMean(classifierActivation, CLASSIFIER_ACTIVATIONS) + " (known: "
                        + String.join(", ", CLASSIFIER_ACTIVATIONS) + ")");
            }
            classifierActivation = classifierActivation == null ? TANH : classifierActivation;
        }
        if (type.equals(TOKEN_CLASSIFICATION)) {
            if (numLabels == null) {
                numLabels = labels != null ? labels.size() : 2;
            }
            Checks.positive("num_labels", numLabels);
        }
        if (labels != null && labels.size() != numLabels) {
            throw new IllegalArgumentException("labels has " + labels.size() + " names for num_labels " + numLabels);
        }
        if (classifierDropout != null) {
            Checks.probability("classifier_dropout", classifierDropout);
        }
    }

    /** The config without a classifier activation (tanh where it applies), as before that key existed. */
    public HeadConfig(String type, Integer numLabels, String problemType, List<String> labels,
            Float classifierDropout, Integer sepTokenId) {
        this(type, numLabels, problemType, labels, classifierDropout, sepTokenId, null, null);
    }

    /** The config without a question-answering head style ({@code linear} where it applies). */
    public HeadConfig(String type, Integer numLabels, String problemType, List<String> labels,
            Float classifierDropout, Integer sepTokenId, String classifierActivation) {
        this(type, numLabels, problemType, labels, classifierDropout, sepTokenId, classifierActivation, null);
    }

    /** The masked-LM head of pretraining. */
    public static HeadConfig maskedLm() {
        return new HeadConfig(MASKED_LM, null, null, null, null, null);
    }

    /**
     * Sequence classification on {@code <s>}.
     *
     * @param problemType {@link #SINGLE_LABEL}, {@link #MULTI_LABEL}, {@link #REGRESSION}, or {@code null} to infer
     *     it from num_labels
     */
    public static HeadConfig sequenceClassification(int numLabels, String problemType) {
        return new HeadConfig(SEQUENCE_CLASSIFICATION, numLabels, problemType, null, null, null);
    }

    /** Extractive question answering with RoBERTa's separator {@code </s>} = 2. */
    public static HeadConfig questionAnswering() {
        return new HeadConfig(QUESTION_ANSWERING, null, null, null, null, null);
    }

    /** One label per token. */
    public static HeadConfig tokenClassification(int numLabels) {
        return new HeadConfig(TOKEN_CLASSIFICATION, numLabels, null, null, null, null);
    }

    /** The classifier dropout to use under an encoder with dropout {@code encoderDropout}. */
    public float classifierDropoutOr(float encoderDropout) {
        return classifierDropout == null ? encoderDropout : classifierDropout;
    }

    @JsonIgnore
    public boolean isMaskedLm() {
        return MASKED_LM.equals(type);
    }

    /** Whether this is BigBird's question-answering head ({@code qa_head: bigbird}). */
    @JsonIgnore
    public boolean isBigBirdQa() {
        return QA_BIGBIRD.equals(qaHead);
    }
}
