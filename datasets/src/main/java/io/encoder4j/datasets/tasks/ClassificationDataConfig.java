package io.encoder4j.datasets.tasks;

import io.encoder4j.core.config.Checks;
import java.util.List;

/**
 * The {@code data} section of a text-classification job (binds from snake_case YAML through {@code ConfigLoader}).
 *
 * <pre>{@code
 * data:
 *   train: ../shared/data/classification/sst2/train.tsv
 *   validation: ../shared/data/classification/sst2/dev.tsv
 *   columns: [label, text]        # header-less TSV/CSV; omit when the first line names the columns
 *   text_column: text
 *   label_column: label
 *   max_length: 128
 * }</pre>
 *
 * @param train training file (TSV, CSV or JSONL, optionally gzipped)
 * @param validation validation file, or null
 * @param test test file, or null (labels optional there: see {@link ClassificationReader})
 * @param format {@code auto} (by extension), {@code tsv}, {@code csv} or {@code jsonl}
 * @param columns column names of header-less TSV/CSV files; null when the first line is a header
 * @param textColumn the column holding the text (default {@code text})
 * @param textPairColumn the column holding the second text of a pair task, or null
 * @param labelColumn the column holding the label name (default {@code label})
 * @param labels the label names in id order, or null to use the sorted distinct labels of the training file
 * @param maxLength tokens per example including {@code <s>}/{@code </s>} (default 512; up to 16384 for long documents)
 * @param skipBadRows skip (and count) unreadable rows instead of stopping (default false)
 */
public record ClassificationDataConfig(
        String train,
        String validation,
        String test,
        String format,
        List<String> columns,
        String textColumn,
        String textPairColumn,
        String labelColumn,
        List<String> labels,
        Integer maxLength,
        Boolean skipBadRows) {

    public ClassificationDataConfig {
        format = format == null ? "auto" : format;
        columns = columns == null ? null : List.copyOf(columns);
        textColumn = textColumn == null ? "text" : textColumn;
        labelColumn = labelColumn == null ? "label" : labelColumn;
        labels = labels == null ? null : List.copyOf(labels);
        maxLength = maxLength == null ? 512 : maxLength;
        skipBadRows = skipBadRows != null && skipBadRows;
        Checks.nonBlank("train", train);
        Checks.nonBlank("text_column", textColumn);
        Checks.nonBlank("label_column", labelColumn);
        if (maxLength <= SequenceFraming.PAIR_SPECIALS) {
            throw new IllegalArgumentException("max_length must be greater than " + SequenceFraming.PAIR_SPECIALS
                    + ", got " + maxLength);
        }
        if (columns != null) {
            for (String required : textPairColumn == null ? List.of(textColumn, labelColumn)
                    : List.of(textColumn, textPairColumn, labelColumn)) {
                if (!columns.contains(required)) {
                    throw new IllegalArgumentException("columns " + columns + " do not include '" + required + "'");
                }
            }
        }
        if (labels != null && labels.isEmpty()) {
            throw new IllegalArgumentException("labels must not be empty");
        }
    }

    /** Reading settings for {@code train} etc. with the other fields at their defaults. */
    public static ClassificationDataConfig of(String train, String textColumn, String labelColumn) {
        return new ClassificationDataConfig(train, null, null, null, null, textColumn, null, labelColumn, null, null,
                null);
    }
}
