package io.encoder4j.training.cli;

import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.interop.DjlExporter;
import io.encoder4j.models.interop.HfExporter;
import io.encoder4j.models.interop.HfFamily;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code export <run-or-model-dir> <out-dir> [--format hf|djl]} (docs/interop.md). */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Export a trained model for use elsewhere: 'hf' writes a Hugging Face transformers checkpoint "
                + "(config.json, model.safetensors, tokenizer files) of the class matching its attention and head "
                + "(Roberta, Longformer, Nystromformer or BigBird ForMaskedLM, ForSequenceClassification, "
                + "ForQuestionAnswering or ForTokenClassification; encoder4j's own layout where transformers has no "
                + "class computing the same); 'djl' writes DJL's model-0000.params with model.json and tokenizer.json.",
                "The output directory must not exist or be empty; it appears only when complete."})
final class ExportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_OR_MODEL",
            description = "A run directory (runs/<name>, whose model/ is exported) or a model directory.")
    Path source;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "The directory to create.")
    Path out;

    @Option(names = "--format", paramLabel = "hf|djl", defaultValue = "hf",
            description = "hf (default) or djl.")
    String format;

    @Override
    public Integer call() throws Exception {
        Path modelDir = ModelDirectories.resolveOurs(source);
        switch (format) {
            case "hf" -> {
                HfFamily family = HfExporter.export(modelDir, out);
                String headType = ModelDirectory.readConfig(modelDir).head().type();
                spec.commandLine().getOut().println("exported " + modelDir + " to " + out + " as "
                        + family.className(headType) + " (model_type " + family.modelType() + ")");
            }
            case "djl" -> {
                DjlExporter.export(modelDir, out);
                spec.commandLine().getOut().println("exported " + modelDir + " to " + out + " in the djl format");
            }
            default -> throw new io.encoder4j.core.config.ConfigException("--format must be hf or djl, got '"
                    + format + "'");
        }
        return 0;
    }
}
