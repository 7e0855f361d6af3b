package io.encoder4j.training.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.training.finetune.FinetuneEvaluation;
import io.encoder4j.training.finetune.FinetuneJobConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code encoder4j evaluate <model-dir> <job.yaml> [key=value ...] [--split S] [--out metrics.json]}. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Metrics of a fine-tuned model on a split of a fine-tuning job's data, as JSON on stdout (and "
                + "in --out): accuracy, macro_f1, mcc, loss (classification), mse (regression), exact_match, f1 (QA).",
                "The job file supplies the data settings (its model section is not used)."})
final class EvaluateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR",
            description = "A model directory (runs/<name>/model), or a run directory or checkpoint holding one.")
    String model;

    @Parameters(index = "1", paramLabel = "JOB.yaml", description = "The fine-tuning job whose data to evaluate on.")
    Path job;

    @Parameters(index = "2..*", paramLabel = "KEY=VALUE", description = "Overrides, e.g. data.validation=test.tsv.")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--split", paramLabel = "SPLIT", defaultValue = "validation",
            description = "validation (default) or train.")
    String split;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the JSON here.")
    Path out;

    @Override
    public Integer call() throws Exception {
        FinetuneJobConfig config = ConfigLoader.load(job, FinetuneJobConfig.class, overrides);
        Map<String, Object> metrics = FinetuneEvaluation.evaluate(model, config, split);
        String text = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(metrics) + "\n";
        spec.commandLine().getOut().print(text);
        spec.commandLine().getOut().flush();
        if (out != null) {
            PredictCommand.writeAtomically(out, text);
        }
        return 0;
    }
}
