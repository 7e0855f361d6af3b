package io.encoder4j.models.interop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.HeadConfig;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.TaskModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a local transformers checkpoint directory ({@code config.json}, {@code model.safetensors} or a sharded
 * {@code model.safetensors.index.json}, {@code tokenizer.json}) of a supported family and class
 * ({@code *ForMaskedLM}, {@code *ForSequenceClassification}, {@code *ForQuestionAnswering},
 * {@code *ForTokenClassification}) into the encoder4j {@link TaskModel} with the same head, and writes it as an
 * encoder4j model directory ready for further pretraining or fine-tuning. {@link #fromPretrained} instead takes only
 * the encoder, under a new head, to start fine-tuning from any checkpoint of a supported family.
 *
 * <p>Every tensor the model needs must be present with the shape the config implies; F16, BF16 and F64 tensors are
 * converted to float32 in Java (DJL 0.35.1 aborts on BF16). Tensors the model does not use are accepted only when they
 * are known to be redundant: the tied decoder (checked equal to what it is tied to), the non-persistent
 * {@code position_ids} buffer older versions saved, and the pooler, which no output of these classes depends on.
 * Anything else is an error naming the tensor.
 */
public final class HfImporter {

    /** Written next to an imported model: the source config.json, so that export keeps the family and token ids. */
    public static final String SOURCE_CONFIG_FILE = "hf_source_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private HfImporter() {}

    /**
     * An imported model.
     *
     * @param model the model with the checkpoint's head ({@link io.encoder4j.models.MaskedLmModel},
     *     {@link io.encoder4j.models.SequenceClassificationModel}, ...), or under the head given to
     *     {@link #fromPretrained}
     * @param skipped tensors of the checkpoint the model does not use (pooler; the checkpoint's head for
     *     {@link #fromPretrained}), for the user to know
     */
    public record Imported(TaskModel model, HfFamily family, Path tokenizer, JsonNode sourceConfig,
            List<String> skipped) {

        /** The transformers class the checkpoint was read as: {@code RobertaForSequenceClassification}, ... */
        public String className() {
            return family.className(model.head().type());
        }
    }

    /** True when {@code dir} looks like a transformers checkpoint rather than an encoder4j model directory. */
    public static boolean isHfDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"))
                && !Files.isRegularFile(dir.resolve(ModelDirectory.CONFIG_FILE));
    }

    /** Reads the checkpoint in {@code dir}, with its head, into a model on {@code manager}. */
    public static Imported load(Path dir, NDManager manager) throws IOException {
        Source src = read(dir);
        HeadConfig head = HfHeadMapping.fromHf(src.config, src.configFile, src.mapped.family(), src.tensors.keySet());
        TaskModel model = createModel(src.mapped.config(), head, manager, src.configFile);
        try {
            List<String> skipped = fill(model, src.mapped, src.config, src.tensors, false);
            return new Imported(model, src.mapped.family(), src.tokenizer, src.config, skipped);
        } catch (RuntimeException | IOException e) {
            model.getParameters().forEach(p -> p.getValue().close());
            throw e;
        }
    }

    /**
     * The encoder config a checkpoint describes, for example to change its dropout before
     * {@link #fromPretrained(Path, EncoderConfig, HeadConfig, NDManager)}.
     */
    public static EncoderConfig encoderConfig(Path dir) throws IOException {
        return read(dir, false).mapped.config();
    }

    /**
     * The start of fine-tuning from a transformers checkpoint, as {@link ModelDirectory#fromPretrained} is from an
     * encoder4j model directory: a new model with {@code head} (initialised as RoBERTa's heads are, from the engine
     * seed) and the checkpoint's encoder. The checkpoint may be of any class of a supported family
     * ({@code *ForMaskedLM}, a task class, the bare {@code *Model}, ...): only
     * its encoder tensors are read, its head tensors are listed in {@link Imported#skipped}. The tokenizer is
     * {@link Imported#tokenizer}.
     */
    public static Imported fromPretrained(Path dir, HeadConfig head, NDManager manager) throws IOException {
        Source src = read(dir);
        return fromPretrained(src, src.mapped.config(), head, manager);
    }

    /**
     * As {@link #fromPretrained(Path, HeadConfig, NDManager)} with an encoder config of one's own, for example
     * {@link #encoderConfig} with other dropout rates ({@code EncoderPresets.with}). Its parameters must have the
     * names and shapes the checkpoint's encoder has; the first one that does not is named.
     */
    public static Imported fromPretrained(Path dir, EncoderConfig encoder, HeadConfig head, NDManager manager)
            throws IOException {
        return fromPretrained(read(dir), encoder, head, manager);
    }

    private static Imported fromPretrained(Source src, EncoderConfig encoder, HeadConfig head, NDManager manager)
            throws IOException {
        TaskModel model = createModel(encoder, head, manager, src.configFile);
        HfConfigMapping.Imported mapped = new HfConfigMapping.Imported(src.mapped.family(), encoder);
        try {
            List<String> skipped = fill(model, mapped, src.config, src.tensors, true);
            return new Imported(model, src.mapped.family(), src.tokenizer, src.config, skipped);
        } catch (RuntimeException | IOException e) {
            model.getParameters().forEach(p -> p.getValue().close());
            throw e;
        }
    }

    /** A checkpoint directory read: its config.json, our encoder config for it, the tokenizer and every tensor. */
    private record Source(Path configFile, JsonNode config, HfConfigMapping.Imported mapped, Path tokenizer,
            Map<String, Located> tensors) {}

    private static Source read(Path dir) throws IOException {
        return read(dir, true);
    }

    /** @param weights false to read only what decides the encoder config (the weights only where they decide it) */
    private static Source read(Path dir, boolean weights) throws IOException {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new ConfigException(configFile + ": not found; is " + dir + " a transformers checkpoint directory?");
        }
        JsonNode source;
        try {
            source = JSON.readTree(configFile.toFile());
        } catch (IOException e) {
            throw new ConfigException(configFile + ": not valid JSON: " + e.getMessage(), e);
        }
        HfConfigMapping.Imported mapped = HfConfigMapping.fromHf(source, configFile);
        Path tokenizer = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizer)) {
            throw new ConfigException(tokenizer + ": not found; encoder4j models carry their tokenizer as a Hugging "
                    + "Face tokenizer.json (a fast tokenizer's save_pretrained writes it)");
        }
        boolean localOnly = mapped.family() == HfFamily.LONGFORMER
                && mapped.config().attention().get(0).type().equals("sliding_window");
        Map<String, Located> tensors = weights || localOnly ? readWeights(dir) : Map.of();
        if (localOnly && !globalCopiesLocal(tensors, mapped.config().numLayers())) {
            // Global projections trained since the export: keep them, as Longformer global attention.
            mapped = HfConfigMapping.withGlobalAttention(mapped);
        }
        return new Source(configFile, source, mapped, tokenizer, tensors);
    }

    private static TaskModel createModel(EncoderConfig config, HeadConfig head, NDManager manager, Path configFile) {
        try {
            return TaskModel.create(config, head, manager);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(configFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Imports {@code hfDir} into a new encoder4j model directory {@code out} (written to a temporary directory and
     * renamed, so nothing is left behind on error).
     */
    public static Imported importTo(Path hfDir, Path out) throws IOException {
        OutputDirectory.requireAbsentOrEmpty(out.toAbsolutePath());
        try (NDManager manager = NDManager.newBaseManager()) {
            Imported imported = load(hfDir, manager);
            OutputDirectory.publish(out, tmp -> {
                ModelDirectory.save(imported.model(), imported.tokenizer(), tmp);
                Files.writeString(tmp.resolve(SOURCE_CONFIG_FILE),
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(imported.sourceConfig()) + "\n");
            });
            return imported;
        }
    }

    private static final String[] PROJECTIONS = {"query", "key", "value"};

    /** True when every Longformer global projection equals its local one (a sliding window's export). */
    private static boolean globalCopiesLocal(Map<String, Located> tensors, int layers) {
        for (int i = 0; i < layers; i++) {
            for (String p : PROJECTIONS) {
                for (String w : new String[] {"weight", "bias"}) {
                    String prefix = "longformer.encoder.layer." + i + ".attention.self." + p;
                    Located local = tensors.get(prefix + "." + w);
                    Located global = tensors.get(prefix + "_global." + w);
                    if (local == null || global == null || !local.tensor().dtype().equals(global.tensor().dtype())
                            || !local.tensor().data().equals(global.tensor().data())) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** A tensor and the file it came from (for messages). */
    private record Located(Safetensors.Tensor tensor, Path file) {}

    private static Map<String, Located> readWeights(Path dir) throws IOException {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Map<String, Located> out = new LinkedHashMap<>();
        if (Files.isRegularFile(single)) {
            Safetensors.read(single).tensors().forEach((k, v) -> out.put(k, new Located(v, single)));
            return out;
        }
        if (Files.isRegularFile(index)) {
            JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
            if (!map.isObject()) {
                throw new ConfigException(index + ": has no weight_map object");
            }
            Set<String> files = new java.util.TreeSet<>();
            map.forEach(f -> files.add(f.asText()));
            for (String f : files) {
                Path shard = dir.resolve(f);
                Safetensors.read(shard).tensors().forEach((k, v) -> out.put(k, new Located(v, shard)));
            }
            Iterator<String> names = map.fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                if (!out.containsKey(name)) {
                    throw new ConfigException(index + ": tensor '" + name + "' is listed in weight_map but not in "
                            + map.get(name).asText());
                }
            }
            return out;
        }
        String hint = Files.isRegularFile(dir.resolve("pytorch_model.bin"))
                ? " (only pytorch_model.bin is there: encoder4j reads safetensors; in Python, "
                        + "model.save_pretrained(dir) writes model.safetensors)" : "";
        throw new ConfigException(single + ": not found" + hint);
    }

    /**
     * Sets every parameter of {@code model} from its tensor; with {@code encoderOnly}, only the encoder's, and the
     * checkpoint's head tensors are skipped rather than required.
     */
    private static List<String> fill(TaskModel model, HfConfigMapping.Imported mapped, JsonNode source,
            Map<String, Located> tensors, boolean encoderOnly) throws IOException {
        HfFamily family = mapped.family();
        int shift = HfConfigMapping.positionShift(family, mapped.config().padTokenId());
        boolean biases = source.path("use_bias").asBoolean(true);
        Set<String> used = new HashSet<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (HfWeightNames.Mapped m : HfWeightNames.of(model, family)) {
            if (encoderOnly && !m.inEncoder()) {
                continue;
            }
            NDArray array = m.parameter().getArray();
            long[] ours = array.getShape().getShape().clone();
            Located located = tensors.get(m.hfName());
            if (located == null && !biases && m.hfName().matches(".*\\.attention\\.self\\.(query|key|value)\\.bias")) {
                // BigBird's use_bias false: projections without bias are ones with a zero bias.
                array.set(new float[(int) array.size()]);
                continue;
            }
            if (located == null) {
                throw new ConfigException(weightsName(tensors) + ": missing weight '" + m.hfName() + "' "
                        + Arrays.toString(expectedShape(m, ours, shift)) + " (encoder4j's " + m.ours() + ")");
            }
            used.add(m.hfName());
            Safetensors.Tensor t = located.tensor();
            String at = located.file() + ": tensor '" + m.hfName() + "'";
            float[] data = floats(t, at);
            float[] converted = switch (m.kind()) {
                case PLAIN -> {
                    checkShape(at, t.shape(), ours, "");
                    yield data;
                }
                case TOKEN_TYPE -> {
                    // Every row is carried: inputs without token types use row 0 in both, and BigBird's question
                    // answering gives the context row 1.
                    checkShape(at, t.shape(), ours, " (type_vocab_size in config.json)");
                    yield data;
                }
                case POSITIONS -> {
                    long[] hf = expectedShape(m, ours, shift);
                    checkShape(at, t.shape(), hf, " (max_position_embeddings in config.json)");
                    yield shiftRows(data, (int) t.shape()[0], (int) ours[1], shift, (int) ours[0]);
                }
            };
            values.put(m.hfName(), converted);
            array.set(converted);
        }
        return checkLeftovers(family, model, tensors, used, values, encoderOnly);
    }

    private static long[] expectedShape(HfWeightNames.Mapped m, long[] ours, int shift) {
        long[] shape = ours.clone();
        if (m.kind() == HfWeightNames.Kind.POSITIONS) {
            shape[0] = ours[0] - shift;
        }
        return shape;
    }

    /** Our row j is their row j - shift; rows they do not have are zero (used only by padding positions). */
    static float[] shiftRows(float[] theirs, int theirRows, int width, int shift, int ourRows) {
        float[] out = new float[ourRows * width];
        for (int j = 0; j < ourRows; j++) {
            int i = j - shift;
            if (i >= 0 && i < theirRows) {
                System.arraycopy(theirs, i * width, out, j * width, width);
            }
        }
        return out;
    }

    private static void checkShape(String at, long[] actual, long[] expected, String hint) {
        if (!Arrays.equals(actual, expected)) {
            throw new ConfigException(at + " has shape " + Arrays.toString(actual) + " but the model described by "
                    + "config.json needs " + Arrays.toString(expected) + hint);
        }
    }

    private static float[] floats(Safetensors.Tensor t, String at) {
        switch (t.dtype()) {
            case F32, F16, BF16, F64 -> {
                return t.toFloats();
            }
            default -> throw new ConfigException(at + " has dtype " + t.dtype() + "; weights must be F32, F16, BF16 "
                    + "or F64");
        }
    }

    /** The weights file, for a message about a tensor that is in none of them. */
    private static String weightsName(Map<String, Located> tensors) {
        return tensors.isEmpty() ? "checkpoint" : tensors.values().iterator().next().file().toString();
    }

    /**
     * Known-redundant tensors are checked and skipped; anything else is an error. With {@code encoderOnly}, every
     * tensor outside the base model (the checkpoint's head) is skipped too.
     */
    private static List<String> checkLeftovers(HfFamily family, TaskModel model, Map<String, Located> tensors,
            Set<String> used, Map<String, float[]> values, boolean encoderOnly) {
        String base = family.prefix();
        String head = family.robertaHead() ? "lm_head" : "cls.predictions";
        boolean maskedLm = model instanceof MaskedLmModel;
        List<String> skipped = new java.util.ArrayList<>();
        for (Map.Entry<String, Located> e : tensors.entrySet()) {
            String name = e.getKey();
            if (used.contains(name)) {
                continue;
            }
            String at = e.getValue().file() + ": tensor '" + name + "'";
            if (maskedLm && name.equals(head + ".decoder.weight")) {
                requireTied(at, e.getValue().tensor(), values.get(base + ".embeddings.word_embeddings.weight"),
                        "the word embeddings");
            } else if (maskedLm && name.equals(head + ".decoder.bias")) {
                requireTied(at, e.getValue().tensor(), values.get(head + ".bias"), head + ".bias");
            } else if (name.endsWith("position_ids") || name.endsWith(".token_type_ids")) {
                // A buffer (arange / zeros) that older transformers versions saved; not a weight.
                continue;
            } else if (family == HfFamily.LONGFORMER
                    && name.matches(".*\\.attention\\.self\\.(query|key|value)_global\\.(weight|bias)")) {
                // Reached only for a sliding window, whose global projections were checked to be the local ones.
                continue;
            } else if (name.startsWith(base + ".pooler.") || (encoderOnly && !name.startsWith(base + "."))) {
                skipped.add(name);
            } else {
                throw new ConfigException(at + " is not part of the " + family.className(model.head().type())
                        + " model that config.json describes (a checkpoint of another class or a mismatched config)");
            }
        }
        return skipped;
    }

    private static void requireTied(String at, Safetensors.Tensor t, float[] tiedTo, String what) {
        float[] data = floats(t, at);
        if (tiedTo == null || !Arrays.equals(data, tiedTo)) {
            throw new ConfigException(at + " differs from " + what + ": an untied masked-LM decoder is not supported "
                    + "(encoder4j's decoder is tied)");
        }
    }
}
