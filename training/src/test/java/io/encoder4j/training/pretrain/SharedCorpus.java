package io.encoder4j.training.pretrain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Real English text for end-to-end tests: a slice of the project's shared Gutenberg corpus. */
final class SharedCorpus {

    private SharedCorpus() {}

    static Path gutenberg() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            for (Path candidate : new Path[] {dir.resolve("shared/data/corpus/gutenberg13.txt"),
                    dir.resolve("../shared/data/corpus/gutenberg13.txt")}) {
                if (Files.isRegularFile(candidate)) {
                    return candidate.normalize();
                }
            }
        }
        throw new IllegalStateException("shared/data/corpus/gutenberg13.txt not found above " + Path.of("").toAbsolutePath());
    }

    /**
     * The {@code data} section of a tiny job on a slice of {@code chars} characters written under {@code dir}:
     * 32-token blocks, a byte-level BPE of {@code vocabSize}, a tenth for validation, the cache in {@code dir}.
     */
    static List<String> tinyData(Path dir, int chars, int vocabSize) throws IOException {
        slice(dir.resolve("corpus/austen.txt"), chars);
        return List.of(
                "data:",
                "  corpus: [" + dir.resolve("corpus") + "]",
                "  tokenizer: {vocab_size: " + vocabSize + "}",
                "  seq_length: 32",
                "  validation_fraction: 0.1",
                "  cache_dir: " + dir.resolve("cache"));
    }

    /** Writes the first {@code chars} characters of the corpus (cut at a line end) to {@code file}. */
    static Path slice(Path file, int chars) throws IOException {
        String text = Files.readString(gutenberg(), StandardCharsets.UTF_8);
        int end = text.indexOf('\n', chars);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text.substring(0, end < 0 ? text.length() : end + 1));
    }
}
