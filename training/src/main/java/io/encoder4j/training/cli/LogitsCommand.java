package io.encoder4j.training.cli;

import ai.djl.ndarray.NDManager;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.TaskModel;
import io.encoder4j.models.interop.HfImporter;
import io.encoder4j.models.interop.ModelOutputs;
import java.io.BufferedWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code logits <model-dir> <ids.json> [...]}: a head's outputs as JSON, to compare with other implementations. */
@Command(name = "logits", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a model in evaluation mode on a batch of token ids (a JSON array of arrays; shorter rows "
                + "are padded) and write the head's outputs as nested JSON arrays of floats: {\"logits\": ...} for "
                + "mlm (B,N,V), cls (B,L) and token (B,N,L); {\"start_logits\": ..., \"end_logits\": ...} for qa "
                + "(B,N); {\"last_hidden_state\": ...} for hidden (B,N,E). The model directory may be an encoder4j "
                + "model, a run directory, or a Hugging Face checkpoint of a *ForMaskedLM, "
                + "*ForSequenceClassification, *ForQuestionAnswering or *ForTokenClassification class (imported in "
                + "memory). Without --global-attention-mask, classification and QA models of Longformer-style "
                + "attention place global attention on <s> / the question themselves, as transformers does.",
                "Steps to compare with transformers: docs/interop.md."})
final class LogitsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "encoder4j model/run directory or HF checkpoint.")
    Path modelDir;

    @Parameters(index = "1", paramLabel = "IDS.json", description = "Token ids: [[0, 17, 4, 2], [0, 8, 2]].")
    Path ids;

    @Option(names = "--attention-mask", paramLabel = "M.json",
            description = "1 at tokens, 0 at padding, the shape of the ids (default: 1 at every given id).")
    Path attentionMask;

    @Option(names = "--global-attention-mask", paramLabel = "G.json",
            description = "1 at tokens with global attention (Longformer), the shape of the ids.")
    Path globalAttentionMask;

    @Option(names = "--head", paramLabel = "mlm|cls|qa|token|hidden",
            description = "Which outputs (default: the model's own head: mlm, cls, qa or token).")
    String head;

    @Option(names = "--out", paramLabel = "FILE.json", description = "Write here instead of standard output.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (head != null && !ModelOutputs.HEADS.contains(head)) {
            throw new io.encoder4j.core.config.ConfigException("--head must be one of "
                    + String.join(", ", ModelOutputs.HEADS) + ", got '" + head + "'");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            TaskModel model;
            if (HfImporter.isHfDirectory(modelDir)) {
                model = HfImporter.load(modelDir, manager).model();
            } else {
                model = ModelDirectory.load(ModelDirectories.resolveOurs(modelDir), manager);
            }
            ModelOutputs.Batch batch = ModelOutputs.readBatch(ids, attentionMask, globalAttentionMask,
                    model.config().padTokenId());
            Map<String, Object> outputs = ModelOutputs.run(model, batch,
                    head == null ? ModelOutputs.defaultHead(model) : head);
            if (out == null) {
                Writer w = spec.commandLine().getOut();
                ModelOutputs.write(outputs, w);
                w.write(System.lineSeparator());
                w.flush();
            } else {
                Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), out.getFileName().toString(),
                        ".tmp");
                try (BufferedWriter w = Files.newBufferedWriter(tmp)) {
                    ModelOutputs.write(outputs, w);
                }
                Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return 0;
    }
}
