package io.encoder4j.training.cli;

import io.encoder4j.training.finetune.FinetunePrediction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code encoder4j predict <model-dir> <input> [--out preds.jsonl]}. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"JSONL predictions of a fine-tuned model, one line per input row, on stdout or in --out.",
                "Classification: input TSV/CSV/JSONL -> {\"label\": ..., \"probabilities\": {...}} (multi-label: "
                        + "\"labels\"; regression: \"value\").",
                "Question answering: SQuAD JSON, or JSONL {\"id\", \"question\", \"context\"} -> {\"id\", "
                        + "\"answer\", \"start\", \"score\"}."})
final class PredictCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR",
            description = "A model directory (runs/<name>/model), or a run directory holding one.")
    String model;

    @Parameters(index = "1", paramLabel = "INPUT", description = "The rows to predict.")
    Path input;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the JSONL here (default: stdout).")
    Path out;

    @Option(names = "--text-column", paramLabel = "NAME", defaultValue = "text",
            description = "Classification: the text column (default: ${DEFAULT-VALUE}).")
    String textColumn;

    @Option(names = "--text-pair-column", paramLabel = "NAME",
            description = "Classification: the second text of a pair task.")
    String textPairColumn;

    @Option(names = "--columns", split = ",", paramLabel = "NAME",
            description = "Classification: column names of a header-less TSV/CSV, e.g. --columns label,text.")
    List<String> columns;

    @Option(names = "--max-length", paramLabel = "N",
            description = "Tokens per row (classification, default 512) or per window (QA, default 384); at most "
                    + "the model's maximum.")
    Integer maxLength;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "32",
            description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() throws Exception {
        List<String> lines = new FinetunePrediction(textColumn, textPairColumn, columns, maxLength, batchSize)
                .predict(model, input);
        String text = lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
        if (out == null) {
            spec.commandLine().getOut().print(text);
            spec.commandLine().getOut().flush();
        } else {
            writeAtomically(out, text);
            spec.commandLine().getErr().println(lines.size() + " predictions in " + out);
        }
        return 0;
    }

    /** Writes {@code text} to a temporary sibling, then renames it over {@code file}. */
    static void writeAtomically(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = parent.resolve("." + file.getFileName() + ".tmp");
        Files.writeString(temp, text);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
