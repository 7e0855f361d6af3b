package io.encoder4j.models;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.core.io.FileTrees;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A saved model of any head:
 * <ul>
 *   <li>{@code model.json}: the {@link ModelConfig}, i.e. the {@link EncoderConfig} under {@code encoder} and the
 *       {@link HeadConfig} under {@code head} (a file holding only an encoder config, as written before heads
 *       existed, is read as a masked-LM model);</li>
 *   <li>{@code model.params}: DJL's parameter format, tied by block structure to that config;</li>
 *   <li>{@code parameters.json}: every parameter's name ({@link NamedParameters}) and shape in saving order, so that
 *       loading weights into another architecture names the first mismatch instead of failing inside DJL;</li>
 *   <li>{@code tokenizer.json}: the tokenizer the model was trained with.</li>
 * </ul>
 */
public final class ModelDirectory {

    public static final String CONFIG_FILE = "model.json";
    public static final String WEIGHTS_FILE = "model.params";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String PARAMETERS_FILE = "parameters.json";

    private ModelDirectory() {}

    /**
     * Writes config, parameter list, weights and a copy of the tokenizer into {@code dir}, created if needed;
     * existing files of those names are replaced (the weights through a temporary file and a rename).
     *
     * @param tokenizerJson the tokenizer to copy, or {@code null} to write none
     */
    public static void save(TaskModel model, Path tokenizerJson, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(CONFIG_FILE), ConfigLoader.toJson(new ModelConfig(model.config(),
                model.head())));
        Files.writeString(dir.resolve(PARAMETERS_FILE), ConfigLoader.toJson(NamedParameters.shapes(model)));
        Path tmp = dir.resolve(WEIGHTS_FILE + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp);
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os))) {
            model.saveParameters(out);
        }
        Files.move(tmp, dir.resolve(WEIGHTS_FILE), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        if (tokenizerJson != null) {
            Files.copy(tokenizerJson, dir.resolve(TOKENIZER_FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Saves into a new directory: refuses an existing {@code dir}, writes everything into a temporary sibling and
     * renames it to {@code dir} at the end, so an interrupted save leaves no half-written model under that name.
     */
    public static void saveNew(TaskModel model, Path tokenizerJson, Path dir) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            throw new ConfigException(dir + ": already exists; give a new directory (nothing was overwritten)");
        }
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".tmp-");
        try {
            save(model, tokenizerJson, tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            throw new ConfigException(dir + ": already exists; give a new directory (nothing was overwritten)", e);
        } finally {
            if (Files.exists(tmp)) {
                FileTrees.deleteRecursively(tmp);
            }
        }
    }

    /** Reads {@code model.json}. Errors name the file, the line and the key. */
    public static ModelConfig readConfig(Path dir) {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": not found; is " + dir + " a model directory?");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root != null && root.isObject() && !root.has("encoder") && !root.has("head")) {
            // Written before heads existed: the encoder config alone, of a masked-LM model.
            EncoderConfig encoder = ConfigLoader.load(file, EncoderConfig.class, List.of());
            try {
                return new ModelConfig(encoder, HeadConfig.maskedLm());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": " + e.getMessage(), e);
            }
        }
        return ConfigLoader.load(file, ModelConfig.class, List.of());
    }

    /** Builds the model {@code dir} describes, of whatever head, on {@code manager} and loads its weights. */
    public static TaskModel load(Path dir, NDManager manager) throws IOException {
        ModelConfig config = readConfig(dir);
        TaskModel model;
        try {
            model = TaskModel.create(config.encoder(), config.head(), manager);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(dir.resolve(CONFIG_FILE) + ": " + e.getMessage(), e);
        }
        Path weights = dir.resolve(WEIGHTS_FILE);
        checkShapes(dir, model);
        // DJL's loader replaces each parameter's array without freeing the old one or attaching a gradient:
        // free the freshly initialised arrays first, and initialise again afterwards, which keeps the loaded
        // arrays and only marks the trainable ones as requiring gradients.
        model.getParameters().values().forEach(Parameter::close);
        try (InputStream is = Files.newInputStream(weights);
                DataInputStream in = new DataInputStream(new BufferedInputStream(is))) {
            model.loadParameters(manager, in);
        } catch (MalformedModelException e) {
            throw new ConfigException(weights + ": weights do not match " + CONFIG_FILE + ": " + e.getMessage(), e);
        }
        model.initialize(manager, DataType.FLOAT32, model.getInputShapes());
        return model;
    }

    /**
     * As {@link #load(Path, NDManager)}, requiring a model of the given class.
     *
     * @throws ConfigException naming the head type found when it is another
     */
    public static <T extends TaskModel> T load(Path dir, NDManager manager, Class<T> type) throws IOException {
        TaskModel model = load(dir, manager);
        if (!type.isInstance(model)) {
            throw new ConfigException(dir.resolve(CONFIG_FILE) + ": head type is '" + model.head().type()
                    + "', not the " + type.getSimpleName() + " expected here");
        }
        return type.cast(model);
    }

    /**
     * The start of fine-tuning: a model with the encoder saved in {@code dir} (the encoder of a pretrained masked-LM
     * model, or of any other saved model) and a new {@code head}, initialised as RoBERTa's heads are.
     */
    public static TaskModel fromPretrained(Path dir, HeadConfig head, NDManager manager) throws IOException {
        return fromPretrained(dir, readConfig(dir).encoder(), head, manager);
    }

    /**
     * As {@link #fromPretrained(Path, HeadConfig, NDManager)} with an encoder config of one's own, for example the
     * saved one with other dropout rates. Its parameters must have the names and shapes of the saved encoder's.
     *
     * @throws ConfigException naming the first encoder parameter whose name or shape differs, with both shapes
     */
    public static TaskModel fromPretrained(Path dir, EncoderConfig encoder, HeadConfig head, NDManager manager)
            throws IOException {
        TaskModel model = TaskModel.create(encoder, head, manager);
        TaskModel pretrained = load(dir, manager);
        try {
            copyMatching(NamedParameters.of(pretrained.encoder()), NamedParameters.of(model.encoder()),
                    dir.resolve(WEIGHTS_FILE) + ": the pretrained encoder's", "encoder_", "an encoder of a different "
                            + "architecture");
        } finally {
            // The pretrained model's own arrays are no longer needed: the new model holds copies.
            pretrained.getParameters().values().forEach(Parameter::close);
        }
        return model;
    }

    /**
     * Copies every {@code target} parameter from the {@code source} parameter at the same place, which must have the
     * same name and shape; otherwise the first difference is reported, with both shapes.
     */
    static void copyMatching(LinkedHashMap<String, Parameter> source, LinkedHashMap<String, Parameter> target,
            String what, String prefix, String explanation) {
        Iterator<Map.Entry<String, Parameter>> from = source.entrySet().iterator();
        for (Map.Entry<String, Parameter> to : target.entrySet()) {
            List<Long> toShape = NamedParameters.shape(to.getValue().getArray());
            if (!from.hasNext()) {
                throw new ConfigException(what + " parameters end before '" + prefix + to.getKey() + "' " + toShape
                        + " (" + explanation + ")");
            }
            Map.Entry<String, Parameter> f = from.next();
            List<Long> fromShape = NamedParameters.shape(f.getValue().getArray());
            if (!f.getKey().equals(to.getKey()) || !fromShape.equals(toShape)) {
                throw new ConfigException(what + " parameter '" + prefix + f.getKey() + "' " + fromShape
                        + " does not match the model's '" + prefix + to.getKey() + "' " + toShape + " ("
                        + explanation + ")");
            }
            NamedParameters.copyInto(to.getValue(), f.getValue().getArray());
        }
        if (from.hasNext()) {
            throw new ConfigException(what + " parameter '" + prefix + from.next().getKey()
                    + "' has no counterpart in the model (" + explanation + ")");
        }
    }

    /**
     * Compares the parameters of the model built from {@code model.json} with the ones saved next to it and names
     * the first difference, which DJL's loader would report only as a failure deep in the stream.
     */
    private static void checkShapes(Path dir, TaskModel model) throws IOException {
        Path file = dir.resolve(PARAMETERS_FILE);
        if (!Files.isRegularFile(file)) {
            return;
        }
        JsonNode saved = new ObjectMapper().readTree(file.toFile());
        LinkedHashMap<String, List<Long>> built = NamedParameters.shapes(model);
        Iterator<String> savedNames = saved.fieldNames();
        for (Map.Entry<String, List<Long>> e : built.entrySet()) {
            if (!savedNames.hasNext()) {
                throw new ConfigException(dir.resolve(WEIGHTS_FILE) + ": the checkpoint has no parameter '"
                        + e.getKey() + "' " + e.getValue() + " that " + CONFIG_FILE + " describes");
            }
            String name = savedNames.next();
            List<Long> shape = new ArrayList<>();
            saved.get(name).forEach(d -> shape.add(d.asLong()));
            if (!name.equals(e.getKey()) || !shape.equals(e.getValue())) {
                throw new ConfigException(dir.resolve(WEIGHTS_FILE) + ": the checkpoint's parameter '" + name + "' "
                        + shape + " does not match the model's '" + e.getKey() + "' " + e.getValue()
                        + " (a checkpoint of a different architecture)");
            }
        }
        if (savedNames.hasNext()) {
            String extra = savedNames.next();
            throw new ConfigException(dir.resolve(WEIGHTS_FILE) + ": the checkpoint has parameter '" + extra
                    + "' that the model built from " + CONFIG_FILE + " lacks");
        }
    }
}
