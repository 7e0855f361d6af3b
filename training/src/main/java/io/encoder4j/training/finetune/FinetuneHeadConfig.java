package io.encoder4j.training.finetune;

import io.encoder4j.models.HeadConfig;

/**
 * The {@code head} section of a fine-tuning job: what the new head learns. The head's size and label names come
 * from the data (the training labels), so they are not written here.
 *
 * @param problemType classification: {@code single_label_classification} (default),
 *     {@code multi_label_classification} or {@code regression}
 * @param classifierDropout classification: dropout in the head (default: the encoder's)
 */
public record FinetuneHeadConfig(String problemType, Float classifierDropout) {

    public FinetuneHeadConfig {
        if (problemType != null && !HeadConfig.PROBLEM_TYPES.contains(problemType)) {
            throw new IllegalArgumentException("problem_type: unknown '" + problemType + "'; one of "
                    + String.join(", ", HeadConfig.PROBLEM_TYPES));
        }
        if (classifierDropout != null && !(classifierDropout >= 0 && classifierDropout < 1)) {
            throw new IllegalArgumentException("classifier_dropout must be in [0, 1), got " + classifierDropout);
        }
    }
}
