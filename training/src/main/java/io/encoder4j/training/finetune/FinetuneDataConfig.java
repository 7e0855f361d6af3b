package io.encoder4j.training.finetune;

import io.encoder4j.core.config.Checks;
import io.encoder4j.datasets.tasks.ClassificationDataConfig;
import io.encoder4j.datasets.tasks.qa.QaWindowing;
import java.util.List;

/**
 * The {@code data} section of a fine-tuning job. Classification reads {@code train} / {@code validation} files with
 * the keys of {@link ClassificationDataConfig}; question answering reads one SQuAD-format {@code train} file and,
 * without a {@code validation} file, holds out {@code validation_fraction} of its articles (split by article, so
 * no paragraph of a validation article is trained on), windowed with {@code max_length}, {@code doc_stride},
 * {@code max_query_length}. Token classification reads CoNLL or JSONL {@code train} / {@code validation} files
 * ({@code TaggedReader}; {@code text_column} / {@code label_column} name the JSONL fields, default {@code tokens} /
 * {@code tags}; {@code labels} fixes the tag set) and holds out {@code validation_fraction} of the sentences without a
 * validation file.
 *
 * @param labelSeparator multi-label classification: the separator between the label names of one row
 *     (default {@code ,})
 * @param validationFraction without a validation file: the share of the training rows (classification, a seeded
 *     random choice) or of the articles (question answering) held out for validation; default 0.1
 */
public record FinetuneDataConfig(
        String train,
        String validation,
        String format,
        List<String> columns,
        String textColumn,
        String textPairColumn,
        String labelColumn,
        List<String> labels,
        String labelSeparator,
        Integer maxLength,
        Boolean skipBadRows,
        Double validationFraction,
        Integer docStride,
        Integer maxQueryLength) {

    public FinetuneDataConfig {
        Checks.nonBlank("train", train);
        labelSeparator = labelSeparator == null ? "," : labelSeparator;
        if (labelSeparator.isEmpty()) {
            throw new IllegalArgumentException("label_separator must not be empty");
        }
        if (validationFraction != null && !(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation_fraction must be in (0, 1), got " + validationFraction);
        }
    }

    /** The reading settings of a classification job. */
    public ClassificationDataConfig classification() {
        return new ClassificationDataConfig(train, validation, null, format, columns, textColumn, textPairColumn,
                labelColumn, labels, maxLength, skipBadRows);
    }

    /** The windowing of a question-answering job: {@link QaWindowing#defaults()} where a key is unset. */
    public QaWindowing windowing() {
        QaWindowing d = QaWindowing.defaults();
        return new QaWindowing(maxLength == null ? d.maxLength() : maxLength,
                docStride == null ? d.docStride() : docStride, maxQueryLength == null ? d.maxQueryLength()
                        : maxQueryLength);
    }

    public double validationFractionOrDefault() {
        return validationFraction == null ? 0.1 : validationFraction;
    }

    /** Keys that classification does not read, for the job's validation. */
    List<String> qaOnlyKeysSet() {
        List<String> set = new java.util.ArrayList<>();
        if (docStride != null) {
            set.add("doc_stride");
        }
        if (maxQueryLength != null) {
            set.add("max_query_length");
        }
        return set;
    }

    /** The token-classification reading settings: tokens field, tags field, max length. */
    public String tokensField() {
        return textColumn == null ? "tokens" : textColumn;
    }

    public String tagsField() {
        return labelColumn == null ? "tags" : labelColumn;
    }

    public int taggingMaxLength() {
        return maxLength == null ? 512 : maxLength;
    }

    /** Keys that token classification does not read. */
    List<String> taggingForeignKeysSet() {
        List<String> set = qaOnlyKeysSet();
        if (format != null) {
            set.add("format");
        }
        if (columns != null) {
            set.add("columns");
        }
        if (textPairColumn != null) {
            set.add("text_pair_column");
        }
        return set;
    }

    /** Keys that question answering does not read. */
    List<String> classificationOnlyKeysSet() {
        List<String> set = new java.util.ArrayList<>();
        if (format != null) {
            set.add("format");
        }
        if (columns != null) {
            set.add("columns");
        }
        if (textColumn != null) {
            set.add("text_column");
        }
        if (textPairColumn != null) {
            set.add("text_pair_column");
        }
        if (labelColumn != null) {
            set.add("label_column");
        }
        if (labels != null) {
            set.add("labels");
        }
        return set;
    }
}
