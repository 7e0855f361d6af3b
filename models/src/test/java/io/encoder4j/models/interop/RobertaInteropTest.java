package io.encoder4j.models.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.io.FileTrees;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.TaskModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RoBERTa against transformers: a TINY {@code RobertaForMaskedLM} created and run by transformers
 * ({@code hf/roberta-tiny}), imported here, gives the same logits; export writes transformers' exact names, shapes
 * and values; bad checkpoints are rejected naming the tensor, with nothing written.
 */
class RobertaInteropTest {

    /** The tolerance for logits computed in float32 by two implementations. */
    static final double TOLERANCE = 1e-4;

    private static NDManager manager;
    private static HfFixture fixture;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() throws Exception {
        manager = NDManager.newBaseManager();
        fixture = new HfFixture("roberta-tiny");
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void importedCheckpointComputesTransformersLogits() throws Exception {
        Map<String, Object> mlm = fixture.run(manager, "mlm");
        Map<String, Object> hidden = fixture.run(manager, "hidden");
        // Every position: padded ones too, since RoBERTa's padding handling is the same here (key mask, position
        // id = padding id).
        double logits = fixture.maxAbsDifference(mlm, "logits", null);
        double states = fixture.maxAbsDifference(hidden, "last_hidden_state", null);
        System.out.printf("roberta-tiny: max |logit difference| %.3g, max |hidden difference| %.3g%n", logits,
                states);
        assertTrue(logits < TOLERANCE, "max logit difference " + logits);
        assertTrue(states < TOLERANCE, "max hidden difference " + states);
    }

    @Test
    void importThenExportRoundTripsEveryTensorBitForBit() throws Exception {
        Path ours = tmp.resolve("ours");
        HfImporter.Imported imported = HfImporter.importTo(fixture.dir, ours);
        assertEquals(HfFamily.ROBERTA, imported.family());
        assertTrue(Files.isRegularFile(ours.resolve(ModelDirectory.WEIGHTS_FILE)));
        assertTrue(Files.isRegularFile(ours.resolve(ModelDirectory.TOKENIZER_FILE)));
        Path hf = tmp.resolve("hf");
        assertEquals(HfFamily.ROBERTA, HfExporter.export(ours, hf));
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json"}) {
            assertTrue(Files.isRegularFile(hf.resolve(f)), f);
        }
        Map<String, Safetensors.Tensor> original = Safetensors.read(fixture.dir.resolve("model.safetensors"))
                .tensors();
        Safetensors.Contents exported = Safetensors.read(hf.resolve("model.safetensors"));
        assertEquals(Map.of("format", "pt"), exported.metadata());
        // Exactly the names save_pretrained wrote (no tied lm_head.decoder.*), with the same shapes and bytes.
        assertEquals(new TreeSet<>(original.keySet()), new TreeSet<>(exported.tensors().keySet()));
        for (Map.Entry<String, Safetensors.Tensor> e : original.entrySet()) {
            Safetensors.Tensor back = exported.tensors().get(e.getKey());
            assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
            assertEquals(e.getValue().data(), back.data(), e.getKey());
        }
        JsonNode sourceConfig = new ObjectMapper().readTree(fixture.dir.resolve("config.json").toFile());
        JsonNode config = new ObjectMapper().readTree(hf.resolve("config.json").toFile());
        for (String key : new String[] {"model_type", "architectures", "vocab_size", "hidden_size",
                "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
                "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "pad_token_id", "bos_token_id",
                "eos_token_id", "tie_word_embeddings", "hidden_dropout_prob", "attention_probs_dropout_prob"}) {
            assertEquals(sourceConfig.get(key), config.get(key), key);
        }
        JsonNode tokenizerConfig = new ObjectMapper().readTree(hf.resolve("tokenizer_config.json").toFile());
        assertEquals("<mask>", tokenizerConfig.get("mask_token").asText());
        assertEquals("<pad>", tokenizerConfig.get("pad_token").asText());
        assertEquals("PreTrainedTokenizerFast", tokenizerConfig.get("tokenizer_class").asText());
    }

    @Test
    void exportThenImportGivesTheSameModel() throws Exception {
        Engine.getInstance().setRandomSeed(11);
        EncoderConfig config = new EncoderConfig(100, 16, 2, 4, 32, 20, 0.1f, null, null, null, null, null, null,
                null);
        MaskedLmModel model = MaskedLmModel.create(config, manager);
        Path hf = tmp.resolve("hf");
        HfExporter.export(model, fixture.dir.resolve("tokenizer.json"), null, hf);
        TaskModel back = HfImporter.load(hf, manager).model();
        assertEquals(config, back.config());
        Map<String, float[]> before = values(model);
        Map<String, float[]> after = values(back);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
        ModelOutputs.Batch batch = fixture.batch();
        float[][][] a = (float[][][]) ModelOutputs.run(model, batch, "mlm").get("logits");
        float[][][] b = (float[][][]) ModelOutputs.run(back, batch, "mlm").get("logits");
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                assertArrayEquals(a[i][j], b[i][j]);
            }
        }
    }

    static Map<String, float[]> values(ai.djl.nn.Block model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            out.put(p.getKey(), p.getValue().getArray().toFloatArray());
        }
        return out;
    }

    /** A copy of the fixture to break. */
    private Path copyOfFixture() throws Exception {
        Path dir = tmp.resolve("broken");
        Files.createDirectories(dir);
        try (var files = Files.list(fixture.dir)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    private void assertImportFails(Path hf, String... fragments) throws Exception {
        Path out = tmp.resolve("out");
        ConfigException e = assertThrows(ConfigException.class, () -> HfImporter.importTo(hf, out));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
        assertFalse(Files.exists(out), "nothing is written");
        try (var siblings = Files.list(tmp)) {
            assertTrue(siblings.noneMatch(p -> p.getFileName().toString().startsWith(".out")), "no temporary left");
        }
    }

    private static void rewriteTensors(Path file, java.util.function.Consumer<Map<String, Safetensors.Tensor>> edit)
            throws Exception {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>(Safetensors.read(file).tensors());
        edit.accept(tensors);
        Safetensors.write(file, tensors, Map.of("format", "pt"));
    }

    @Test
    void rejectsBadCheckpointsNamingTheProblemAndWritingNothing() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String layerQuery = "roberta.encoder.layer.1.attention.self.query.weight";

        Path dir = copyOfFixture();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.put("model_type", "gpt2");
        json.writeValue(dir.resolve("config.json").toFile(), config);
        assertImportFails(dir, "model_type 'gpt2' is not supported", "roberta");
        FileTrees.deleteRecursively(dir);

        dir = copyOfFixture();
        config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.put("hidden_act", "gelu_new");
        json.writeValue(dir.resolve("config.json").toFile(), config);
        assertImportFails(dir, "hidden_act 'gelu_new'");
        FileTrees.deleteRecursively(dir);

        dir = copyOfFixture();
        rewriteTensors(dir.resolve("model.safetensors"), t -> t.remove(layerQuery));
        assertImportFails(dir, "missing weight '" + layerQuery + "'", "[32, 32]");
        FileTrees.deleteRecursively(dir);

        dir = copyOfFixture();
        rewriteTensors(dir.resolve("model.safetensors"), t -> t.put(layerQuery,
                Safetensors.Tensor.f32(new long[] {32, 16}, new float[32 * 16])));
        assertImportFails(dir, "'" + layerQuery + "' has shape [32, 16]", "needs [32, 32]");
        FileTrees.deleteRecursively(dir);

        dir = copyOfFixture();
        rewriteTensors(dir.resolve("model.safetensors"), t -> t.put("classifier.dense.weight",
                Safetensors.Tensor.f32(new long[] {1}, new float[1])));
        assertImportFails(dir, "'classifier.dense.weight' is not part of the RobertaForMaskedLM model");
        FileTrees.deleteRecursively(dir);

        dir = copyOfFixture();
        rewriteTensors(dir.resolve("model.safetensors"), t -> t.put("lm_head.decoder.weight",
                Safetensors.Tensor.f32(new long[] {100, 32}, new float[100 * 32])));
        assertImportFails(dir, "'lm_head.decoder.weight' differs from the word embeddings");
        FileTrees.deleteRecursively(dir);

        dir = copyOfFixture();
        byte[] bytes = Files.readAllBytes(dir.resolve("model.safetensors"));
        Files.write(dir.resolve("model.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertImportFails(dir, "model.safetensors", "truncated");
        FileTrees.deleteRecursively(dir);

        dir = copyOfFixture();
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, bytes.length);
        Files.write(dir.resolve("model.safetensors"), bytes);
        assertImportFails(dir, "model.safetensors", "claims " + bytes.length + " bytes");
        FileTrees.deleteRecursively(dir);

        dir = copyOfFixture();
        Files.delete(dir.resolve("model.safetensors"));
        assertImportFails(dir, "model.safetensors: not found");
    }

    @Test
    void neverOverwritesAnExistingDirectory() throws Exception {
        Path out = tmp.resolve("taken");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        ConfigException e = assertThrows(ConfigException.class, () -> HfImporter.importTo(fixture.dir, out));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertEquals(Set.of("keep.txt"), Set.of(Files.list(out).map(p -> p.getFileName().toString())
                .toArray(String[]::new)));
    }

    @Test
    void readsHalfAndBfloat16Checkpoints() throws Exception {
        // The same checkpoint stored as F16 and BF16: import converts in Java and computes with the rounded weights.
        for (Safetensors.Dtype dtype : new Safetensors.Dtype[] {Safetensors.Dtype.F16, Safetensors.Dtype.BF16}) {
            Path dir = copyOfFixture();
            Map<String, float[]> rounded = new LinkedHashMap<>();
            rewriteTensors(dir.resolve("model.safetensors"), t -> t.replaceAll((name, tensor) -> {
                float[] v = tensor.toFloats();
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 2)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                float[] back = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    short s = dtype == Safetensors.Dtype.BF16 ? (short) (Float.floatToIntBits(v[i]) >>> 16)
                            : toHalf(v[i]);
                    b.putShort(i * 2, s);
                    back[i] = dtype == Safetensors.Dtype.BF16 ? Float.intBitsToFloat((s & 0xffff) << 16)
                            : Safetensors.halfToFloat(s);
                }
                rounded.put(name, back);
                return new Safetensors.Tensor(dtype, tensor.shape(), b);
            }));
            TaskModel model = HfImporter.load(dir, manager).model();
            Map<String, Safetensors.Tensor> exported = HfExporter.tensors(model, HfFamily.ROBERTA);
            rounded.forEach((name, v) -> assertArrayEquals(v, exported.get(name).toFloats(), dtype + " " + name));
            FileTrees.deleteRecursively(dir);
        }
    }

    /** float32 to binary16 by truncation (any half value will do: the test checks the exact widening). */
    private static short toHalf(float f) {
        int bits = Float.floatToIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
        if (exponent <= 0) {
            return (short) sign;
        }
        return (short) (sign | (Math.min(exponent, 30) << 10) | ((bits >>> 13) & 0x3ff));
    }
}
