package io.encoder4j.models.interop;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.HeadConfig;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.models.ModelConfig;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.QuestionAnsweringModel;
import io.encoder4j.models.SequenceClassificationModel;
import io.encoder4j.models.TaskModel;
import io.encoder4j.models.TokenClassificationModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code djl} export format, for DJL inference users: {@code model-0000.params} written by DJL's
 * {@link Model#save} (the file {@code Model.load} reads, with DJL's header; {@code model.params} of an encoder4j
 * model directory holds the block's parameters without it), {@code model.json} (the {@link ModelConfig}, encoder and
 * head, that builds the block) and {@code tokenizer.json}. Loading, in Java:
 *
 * <pre>{@code
 * Model model = Model.newInstance("model");
 * model.setBlock(DjlExporter.block(DjlExporter.readModelConfig(dir)));
 * model.load(dir, "model");
 * }</pre>
 */
public final class DjlExporter {

    /** DJL's model name, hence {@code model-0000.params}. */
    public static final String MODEL_NAME = "model";

    private DjlExporter() {}

    /** Writes the encoder4j model directory {@code modelDir}, of any head, to {@code out} in the djl format. */
    public static void export(Path modelDir, Path out) throws IOException {
        OutputDirectory.requireAbsentOrEmpty(out.toAbsolutePath());
        try (NDManager manager = NDManager.newBaseManager()) {
            TaskModel block = ModelDirectory.load(modelDir, manager);
            OutputDirectory.publish(out, dir -> {
                try (Model model = Model.newInstance(MODEL_NAME)) {
                    model.setBlock(block);
                    model.setProperty("encoder4j.config", ModelDirectory.CONFIG_FILE);
                    model.save(dir, MODEL_NAME);
                }
                Files.writeString(dir.resolve(ModelDirectory.CONFIG_FILE),
                        ConfigLoader.toJson(new ModelConfig(block.config(), block.head())));
                Files.copy(modelDir.resolve(ModelDirectory.TOKENIZER_FILE), dir.resolve(ModelDirectory.TOKENIZER_FILE));
            });
        }
    }

    /** The encoder config of a djl export. */
    public static EncoderConfig readConfig(Path dir) {
        return ModelDirectory.readConfig(dir).encoder();
    }

    /** The encoder and head config of a djl export (an export written before heads holds the encoder alone). */
    public static ModelConfig readModelConfig(Path dir) {
        return ModelDirectory.readConfig(dir);
    }

    /** The uninitialised block for {@code config}, whose parameters {@link Model#load} fills. */
    public static TaskModel block(ModelConfig config) {
        EncoderConfig encoder = config.encoder();
        HeadConfig head = config.head();
        return switch (head.type()) {
            case HeadConfig.MASKED_LM -> new MaskedLmModel(encoder);
            case HeadConfig.SEQUENCE_CLASSIFICATION -> new SequenceClassificationModel(encoder, head);
            case HeadConfig.QUESTION_ANSWERING -> new QuestionAnsweringModel(encoder, head);
            case HeadConfig.TOKEN_CLASSIFICATION -> new TokenClassificationModel(encoder, head);
            default -> throw new IllegalArgumentException("unknown head type " + head.type());
        };
    }

    /** Loads a djl export with DJL's own {@link Model#load}; the caller closes the model. */
    public static Model load(Path dir) throws IOException {
        Model model = Model.newInstance(MODEL_NAME);
        model.setBlock(block(readModelConfig(dir)));
        try {
            model.load(dir, MODEL_NAME);
        } catch (MalformedModelException e) {
            model.close();
            throw new ConfigException(dir + ": not a loadable djl export: " + e.getMessage(), e);
        }
        return model;
    }
}
