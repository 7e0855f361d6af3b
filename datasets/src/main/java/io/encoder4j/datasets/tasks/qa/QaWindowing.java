package io.encoder4j.datasets.tasks.qa;

/**
 * How question + context are cut into model inputs {@code <s> question </s></s> context-window </s>}.
 *
 * @param maxLength tokens per window, frame tokens included (Hugging Face run_qa: {@code max_seq_length} 384)
 * @param docStride tokens shared by consecutive windows of a long context: Hugging Face run_qa's {@code doc_stride}
 *     (128), passed to the tokenizer as {@code stride}. Consecutive windows start {@code window - docStride} context
 *     tokens apart. (In Google's original BERT code {@code doc_stride} was that step instead; we follow Hugging Face.)
 * @param maxQueryLength the question is cut to this many tokens (BERT's {@code max_query_length}, 64)
 */
public record QaWindowing(int maxLength, int docStride, int maxQueryLength) {

    public QaWindowing {
        if (maxQueryLength <= 0 || docStride < 0) {
            throw new IllegalArgumentException("max_query_length must be positive and doc_stride non-negative");
        }
        int window = maxLength - maxQueryLength - 4;
        if (window <= docStride) {
            throw new IllegalArgumentException("max_length " + maxLength + " leaves " + window + " context tokens per "
                    + "window after a question of up to " + maxQueryLength + " tokens and 4 frame tokens; it must "
                    + "exceed doc_stride " + docStride);
        }
    }

    /** Hugging Face run_qa's defaults: 384 tokens, stride 128, questions up to 64 tokens. */
    public static QaWindowing defaults() {
        return new QaWindowing(384, 128, 64);
    }
}
