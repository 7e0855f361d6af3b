package io.encoder4j.datasets.prepare;

/**
 * A {@code prepare} job file: one {@code data} section.
 *
 * <pre>{@code
 * data:
 *   corpus: [../shared/data/corpus, {path: ../shared/data/long/sotu.jsonl, text_field: text}]
 *   tokenizer: {vocab_size: 8000, min_frequency: 2}
 *   packing: group_texts
 *   seq_length: 128
 * }</pre>
 */
public record PrepareJobConfig(PrepareConfig data) {

    public PrepareJobConfig {
        if (data == null) {
            throw new IllegalArgumentException("data: the section is missing");
        }
    }
}
