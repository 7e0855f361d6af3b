package io.encoder4j.datasets.tasks;

import io.encoder4j.datasets.tokenizer.BpeTrainingSettings;
import io.encoder4j.datasets.tokenizer.ByteLevelBpeTrainer;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import io.encoder4j.datasets.tokenizer.TokenizerJsonWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Shared data and a small tokenizer for the task tests. */
public final class TaskTesting {

    private static Path tokenizerJson;

    private TaskTesting() {}

    /** {@code shared/data/<relative>} beside the repository, found by walking up from the module directory. */
    public static Path shared(String relative) {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/data").resolve(relative);
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no shared/data/" + relative + " above " + start);
    }

    /**
     * A byte-level BPE (vocabulary 1000) trained on 300,000 characters of the shared Gutenberg text; trained once per
     * test JVM (under a second).
     */
    public static synchronized TextTokenizer tokenizer() {
        return TextTokenizer.load(tokenizerJson());
    }

    /** The file of {@link #tokenizer()}. */
    public static synchronized Path tokenizerJson() {
        try {
            if (tokenizerJson == null) {
                String text = Files.readString(shared("corpus/gutenberg13.txt"), StandardCharsets.UTF_8)
                        .substring(0, 300_000);
                List<String> lines = Arrays.asList(text.split("(?<=\n)"));
                Path dir = Files.createTempDirectory("encoder4j-task-tokenizer");
                dir.toFile().deleteOnExit();
                tokenizerJson = dir.resolve("tokenizer.json");
                TokenizerJsonWriter.write(ByteLevelBpeTrainer.train(lines, BpeTrainingSettings.roberta(1000, 2)),
                        tokenizerJson);
                tokenizerJson.toFile().deleteOnExit();
            }
            return tokenizerJson;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
