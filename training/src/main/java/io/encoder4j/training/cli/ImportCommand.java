package io.encoder4j.training.cli;

import io.encoder4j.models.interop.HfImporter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code import <hf-dir> <out-dir>} (docs/interop.md). */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Import a local Hugging Face transformers checkpoint (RoBERTa, Longformer, Nystromformer, "
                + "BigBird or an encoder4j export; *ForMaskedLM, *ForSequenceClassification, *ForQuestionAnswering or "
                + "*ForTokenClassification; safetensors in F32, F16 or BF16) as an encoder4j model directory with the "
                + "same head (labels from id2label), ready for further pretraining or fine-tuning.",
                "The output directory must not exist or be empty; it appears only when complete."})
final class ImportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "HF_DIR",
            description = "Directory with config.json, model.safetensors and tokenizer.json.")
    Path source;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "The model directory to create.")
    Path out;

    @Override
    public Integer call() throws Exception {
        HfImporter.Imported imported = HfImporter.importTo(source, out);
        var printer = spec.commandLine().getOut();
        printer.println("imported " + imported.className() + " from " + source + " to " + out);
        if (!imported.skipped().isEmpty()) {
            printer.println("not used by the " + imported.className() + " model and not imported: "
                    + String.join(", ", imported.skipped()));
        }
        return 0;
    }
}
