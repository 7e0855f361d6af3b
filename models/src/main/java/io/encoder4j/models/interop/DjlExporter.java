package io.encoder4j.models.interop;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.models.ModelDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code djl} export format, for DJL inference users: {@code model-0000.params} written by DJL's
 * {@link Model#save} (the file {@code Model.load} reads, with DJL's header; {@code model.params} of an encoder4j
 * model directory holds the block's parameters without it), {@code model.json} (the {@link EncoderConfig} that
 * builds the block) and {@code tokenizer.json}. Loading, in Java:
 *
 * <pre>{@code
 * Model model = Model.newInstance("model");
 * model.setBlock(new MaskedLmModel(DjlExporter.readConfig(dir)));
 * model.load(dir, "model");
 * }</pre>
 */
public final class DjlExporter {

    /** DJL's model name, hence {@code model-0000.params}. */
    public static final String MODEL_NAME = "model";

    private DjlExporter() {}

    /** Writes the encoder4j model directory {@code modelDir} to {@code out} in the djl format. */
    public static void export(Path modelDir, Path out) throws IOException {
        OutputDirectory.requireAbsentOrEmpty(out.toAbsolutePath());
        try (NDManager manager = NDManager.newBaseManager()) {
            MaskedLmModel block = ModelDirectory.load(modelDir, manager, MaskedLmModel.class);
            OutputDirectory.publish(out, dir -> {
                try (Model model = Model.newInstance(MODEL_NAME)) {
                    model.setBlock(block);
                    model.setProperty("encoder4j.config", ModelDirectory.CONFIG_FILE);
                    model.save(dir, MODEL_NAME);
                }
                Files.writeString(dir.resolve(ModelDirectory.CONFIG_FILE), ConfigLoader.toJson(block.config()));
                Files.copy(modelDir.resolve(ModelDirectory.TOKENIZER_FILE), dir.resolve(ModelDirectory.TOKENIZER_FILE));
            });
        }
    }

    /** The config of a djl export. */
    public static EncoderConfig readConfig(Path dir) {
        return ModelDirectory.readConfig(dir).encoder();
    }

    /** Loads a djl export with DJL's own {@link Model#load}; the caller closes the model. */
    public static Model load(Path dir) throws IOException {
        Model model = Model.newInstance(MODEL_NAME);
        model.setBlock(new MaskedLmModel(readConfig(dir)));
        try {
            model.load(dir, MODEL_NAME);
        } catch (MalformedModelException e) {
            model.close();
            throw new ConfigException(dir + ": not a loadable djl export: " + e.getMessage(), e);
        }
        return model;
    }
}
