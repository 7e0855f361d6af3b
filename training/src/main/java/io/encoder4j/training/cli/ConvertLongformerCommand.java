package io.encoder4j.training.cli;

import io.encoder4j.models.LongformerConversion;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code convert-longformer <model-dir> <out-dir> [--max-length N] [--window W]}: see {@link LongformerConversion}. */
@Command(name = "convert-longformer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Turns a saved model with full attention into a Longformer for longer inputs (Beltagy et al. "
                + "2020, section 5): position embeddings copied over and over up to the new maximum, global "
                + "attention over a sliding window in every layer, global projections copied from the local ones.",
                "Writes a new model directory (refuses an existing one). Details: docs/models.md."})
final class ConvertLongformerCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A saved model (e.g. runs/<name>/model).")
    Path source;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "The new model directory; must not exist.")
    Path target;

    @Option(names = "--max-length", paramLabel = "N",
            description = "Longest input of the converted model, in tokens (default: ${DEFAULT-VALUE}).")
    int maxLength = LongformerConversion.DEFAULT_MAX_LENGTH;

    @Option(names = "--window", paramLabel = "W",
            description = "Sliding window: W/2 keys on each side of a token, as Longformer's attention_window "
                    + "(default: ${DEFAULT-VALUE}).")
    int window = LongformerConversion.DEFAULT_WINDOW;

    @Override
    public Integer call() throws Exception {
        LongformerConversion.convert(source, target, maxLength, window);
        spec.commandLine().getOut().println("Converted " + source + " to " + target + ": up to " + maxLength
                + " tokens, global attention over a sliding window of " + window);
        return 0;
    }
}
