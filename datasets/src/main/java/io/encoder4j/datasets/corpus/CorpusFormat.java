package io.encoder4j.datasets.corpus;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The formats a corpus file can have. */
public enum CorpusFormat {
    TEXT, JSONL, CSV, TSV, ARROW, HF_DATASET,
    /** SQuAD JSON, named explicitly ({@code format: squad}): its distinct context paragraphs are the documents. */
    SQUAD;

    /** The format named in a job ({@code auto} gives null). */
    static CorpusFormat named(String name) {
        return name.equals("auto") ? null : valueOf(name.toUpperCase(Locale.ROOT));
    }

    /**
     * The format of {@code path} from its extension ({@code .gz} ignored) or, for a directory, from the files
     * {@code datasets}' {@code save_to_disk} writes; null if unknown.
     */
    static CorpusFormat detect(Path path) {
        if (Files.isDirectory(path)) {
            return Files.isRegularFile(path.resolve("state.json")) || Files.isRegularFile(path.resolve(
                    "dataset_dict.json")) ? HF_DATASET : null;
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        if (name.endsWith(".txt") || name.endsWith(".text")) {
            return TEXT;
        }
        if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
            return JSONL;
        }
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".tsv")) {
            return TSV;
        }
        if (name.endsWith(".arrow") || name.endsWith(".feather") || name.endsWith(".ipc")) {
            return ARROW;
        }
        return null;
    }
}
