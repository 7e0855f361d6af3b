package io.encoder4j.models.interop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.HeadConfig;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.TaskModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an encoder4j model of any head as a transformers checkpoint directory: {@code config.json},
 * {@code model.safetensors} (F32, transformers' names and layouts, the tied decoder left out as
 * {@code save_pretrained} leaves it out), {@code tokenizer.json}, {@code tokenizer_config.json} and
 * {@code special_tokens_map.json}. The family follows from the attention and the head
 * ({@link HfConfigMapping#familyOf(EncoderConfig, HeadConfig)}), the class from the head ({@code *ForMaskedLM},
 * {@code *ForSequenceClassification}, {@code *ForQuestionAnswering}, {@code *ForTokenClassification}); a model
 * imported from transformers keeps the family and token ids of its source where its config still fits it.
 */
public final class HfExporter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HfExporter() {}

    /**
     * Exports the encoder4j model directory {@code modelDir} to {@code out}; returns the family written (the class is
     * {@code family.className(head type)}).
     */
    public static HfFamily export(Path modelDir, Path out) throws IOException {
        OutputDirectory.requireAbsentOrEmpty(out.toAbsolutePath());
        try (NDManager manager = NDManager.newBaseManager()) {
            TaskModel model = ModelDirectory.load(modelDir, manager);
            JsonNode source = null;
            Path sourceFile = modelDir.resolve(HfImporter.SOURCE_CONFIG_FILE);
            if (Files.isRegularFile(sourceFile)) {
                source = JSON.readTree(sourceFile.toFile());
            }
            return export(model, modelDir.resolve(ModelDirectory.TOKENIZER_FILE), source, out);
        }
    }

    /**
     * Exports {@code model} to {@code out} (through a temporary directory).
     *
     * @param source the config.json the model was imported from, or {@code null}
     */
    public static HfFamily export(TaskModel model, Path tokenizerJson, JsonNode source, Path out)
            throws IOException {
        EncoderConfig config = model.config();
        HeadConfig head = model.head();
        HfFamily family = HfConfigMapping.familyOf(config, head);
        HfFamily sourceFamily = source == null ? null : HfFamily.ofModelType(source.path("model_type").asText());
        if (family == HfFamily.ROBERTA && sourceFamily == HfFamily.BIG_BIRD
                && HfHeadMapping.mismatch(HfFamily.BIG_BIRD, head) == null) {
            // Full attention is BigBird's original_full: keep the source's class where its head computes the same.
            family = HfFamily.BIG_BIRD;
        }
        Map<String, Integer> specials = TokenizerFiles.specialIds(tokenizerJson);
        if (source != null && sourceFamily == family) {
            for (String key : new String[] {"bos_token_id", "eos_token_id", "sep_token_id"}) {
                if (source.path(key).isInt()) {
                    specials.put(key, source.get(key).asInt());
                }
            }
        }
        ObjectNode hfConfig = HfConfigMapping.toHf(config, head, family, specials, source);
        Map<String, Safetensors.Tensor> tensors = tensors(model, family);
        HfFamily written = family;
        OutputDirectory.publish(out, dir -> {
            Files.writeString(dir.resolve("config.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(hfConfig) + "\n");
            Safetensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            Files.copy(tokenizerJson, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            TokenizerFiles.write(tokenizerJson, config.maxSequenceLength(), dir);
        });
        return written;
    }

    /** Every parameter under its transformers name (sorted by name, as save_pretrained's file lists them). */
    public static Map<String, Safetensors.Tensor> tensors(TaskModel model, HfFamily family) {
        int shift = HfConfigMapping.positionShift(family, model.config().padTokenId());
        Map<String, Safetensors.Tensor> out = new TreeMap<>();
        for (HfWeightNames.Mapped m : HfWeightNames.of(model, family)) {
            NDArray array = m.parameter().getArray();
            long[] shape = array.getShape().getShape().clone();
            float[] values = array.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            if (m.kind() == HfWeightNames.Kind.POSITIONS) {
                // Their row i is our row i + shift (HfFamily.positionOffset).
                int rows = (int) shape[0] - shift;
                values = HfImporter.shiftRows(values, (int) shape[0], (int) shape[1], -shift, rows);
                shape[0] = rows;
            }
            out.put(m.hfName(), Safetensors.Tensor.f32(shape, values));
        }
        if (family == HfFamily.LONGFORMER
                && HfConfigMapping.isLocalOnlyLongformer(model.config().attention().get(0))) {
            // LongformerForMaskedLM has global projections in every layer: start them at the local ones
            // (HfConfigMapping.isLocalOnlyLongformer).
            for (String name : new java.util.ArrayList<>(out.keySet())) {
                java.util.regex.Matcher m = java.util.regex.Pattern
                        .compile("(.*\\.attention\\.self\\.(query|key|value))\\.(weight|bias)").matcher(name);
                if (m.matches()) {
                    out.put(m.group(1) + "_global." + m.group(3), out.get(name));
                }
            }
        }
        return out;
    }
}
