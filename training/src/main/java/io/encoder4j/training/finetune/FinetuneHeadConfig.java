package io.encoder4j.training.finetune;

import io.encoder4j.models.HeadConfig;

/**
 * The {@code head} section of a fine-tuning job: what the new head learns. The head's size and label names come
 * from the data (the training labels), so they are not written here.
 *
 * @param problemType classification: {@code single_label_classification} (default),
 *     {@code multi_label_classification} or {@code regression}
 * @param classifierDropout classification: dropout in the head (default: the encoder's)
 * @param qaHead question answering: {@code linear} (RoBERTa's one layer) or {@code bigbird}
 *     (BigBirdForQuestionAnswering's head, which gives the context token type 1 and needs a model with
 *     {@code type_vocab_size} 2, docs/interop.md). Default: the pretrained model's own when it is a question-answering
 *     model (an imported BigBirdForQuestionAnswering keeps its style), else {@code linear}
 */
public record FinetuneHeadConfig(String problemType, Float classifierDropout, String qaHead) {

    /** Without a question-answering head style. */
    public FinetuneHeadConfig(String problemType, Float classifierDropout) {
        this(problemType, classifierDropout, null);
    }

    public FinetuneHeadConfig {
        if (qaHead != null && !HeadConfig.QA_HEADS.contains(qaHead)) {
            throw new IllegalArgumentException("qa_head: unknown '" + qaHead + "'; one of "
                    + String.join(", ", HeadConfig.QA_HEADS));
        }
        if (problemType != null && !HeadConfig.PROBLEM_TYPES.contains(problemType)) {
            throw new IllegalArgumentException("problem_type: unknown '" + problemType + "'; one of "
                    + String.join(", ", HeadConfig.PROBLEM_TYPES));
        }
        if (classifierDropout != null && !(classifierDropout >= 0 && classifierDropout < 1)) {
            throw new IllegalArgumentException("classifier_dropout must be in [0, 1), got " + classifierDropout);
        }
    }
}
