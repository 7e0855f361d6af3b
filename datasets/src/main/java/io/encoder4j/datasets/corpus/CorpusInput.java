package io.encoder4j.datasets.corpus;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * One input of a corpus, as written in a job: a plain string is a path with every other setting automatic.
 *
 * <pre>{@code
 * inputs:
 *   - ../shared/data/corpus                        # a directory: every readable file below it
 *   - data/*.txt.gz                                # a glob (*, ?, **, [..], {a,b})
 *   - {path: ../shared/data/long/sotu.jsonl, text_field: text}
 *   - {path: wiki.csv, text_field: body, skip: false}
 *   - {path: my_dataset, format: hf_dataset, split: train}   # datasets' save_to_disk directory
 * }</pre>
 *
 * <p>Serializable, so that a distributed preparation (the spark module) can ship inputs to its workers.
 *
 * @param path a file, a directory (read recursively), or a glob
 * @param format {@code auto} (by extension; a directory with {@code state.json} or {@code dataset_dict.json} is a
 *     Hugging Face dataset), {@code text}, {@code jsonl}, {@code csv}, {@code tsv}, {@code arrow} or
 *     {@code hf_dataset}, or {@code squad} (the distinct contexts of a SQuAD JSON file)
 * @param textField the field or column holding the text (default {@code text}); for Arrow and Hugging Face datasets
 *     the default is {@code input_ids} (already tokenised) when that column exists, else {@code text}
 * @param columns column names of header-less CSV/TSV files
 * @param documents how plain text splits into documents: {@code paragraphs} (default: blank lines separate
 *     documents, wrapped lines are joined with a space), {@code lines} (each non-blank line) or {@code file} (the
 *     whole file, line breaks kept)
 * @param split the split of a {@code DatasetDict} directory (default {@code train})
 */
public record CorpusInput(String path, String format, String textField, List<String> columns, String documents,
        String split) implements Serializable {

    /** The formats a job may name. */
    public static final List<String> FORMATS = List.of("auto", "text", "jsonl", "csv", "tsv", "arrow", "hf_dataset", "squad");
    /** The document modes of plain text. */
    public static final List<String> DOCUMENT_MODES = List.of("paragraphs", "lines", "file");

    public CorpusInput {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("path must be given");
        }
        format = format == null ? "auto" : format.toLowerCase(Locale.ROOT);
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("format must be one of " + FORMATS + ", got '" + format + "'");
        }
        documents = documents == null ? "paragraphs" : documents;
        if (!DOCUMENT_MODES.contains(documents)) {
            throw new IllegalArgumentException("documents must be one of " + DOCUMENT_MODES + ", got '" + documents
                    + "'");
        }
        columns = columns == null ? null : List.copyOf(columns);
        split = split == null ? "train" : split;
    }

    /** A path with every setting automatic (what a plain string in a job means). */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static CorpusInput of(String path) {
        return new CorpusInput(path, null, null, null, null, null);
    }

    /** A canonical description of the settings, part of the corpus fingerprint. */
    String settings() {
        return format + "|" + textField + "|" + columns + "|" + documents + "|" + split;
    }
}
