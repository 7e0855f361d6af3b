package io.encoder4j.models.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.attention.AttentionRegistry;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.EncoderPresets;
import io.encoder4j.models.HeadConfig;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.SequenceClassificationModel;
import io.encoder4j.models.TaskModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Export then import gives the same model, bit for bit, for every attention type (and pre-LN, GeGLU and per-layer
 * attention lists, which only encoder4j's own layout expresses), so that every model trained here can leave in the
 * transformers layout and come back.
 */
class ExportRoundTripTest {

    private static NDManager manager;
    private static final Path TOKENIZER;

    static {
        try {
            TOKENIZER = SafetensorsTest.resource("roberta-tiny/tokenizer.json");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** A tiny spec of each registered type (keys chosen to fit 12 tokens). */
    private static AttentionConfig spec(String type) {
        return switch (type) {
            case "sliding_window" -> AttentionConfig.of(type, "window", 4);
            case "global" -> AttentionConfig.of(type, "window", 4);
            case "blockwise" -> AttentionConfig.of(type, "num_blocks", 2);
            case "bigbird" -> AttentionConfig.of(type, "block_size", 2, "num_random_blocks", 1);
            case "linformer" -> AttentionConfig.of(type, "projected_length", 4);
            case "nystrom" -> AttentionConfig.of(type, "num_landmarks", 4, "conv_kernel", 3, "pinv_init", "batch");
            case "long_short" -> AttentionConfig.of(type, "window", 4, "rank", 2);
            case "performer", "rfa" -> AttentionConfig.of(type, "num_features", 8);
            case "lsh" -> AttentionConfig.of(type, "num_buckets", 2, "chunk_size", 4);
            default -> AttentionConfig.of(type);
        };
    }

    private static EncoderConfig config(List<AttentionConfig> attention, boolean preNorm, String feedForward) {
        return new EncoderConfig(100, 16, 2, 4, 32, 14, 0.0f, null, null, null, null, preNorm, feedForward,
                attention);
    }

    static Stream<Arguments> models() {
        List<Arguments> out = new ArrayList<>();
        for (String type : AttentionRegistry.names()) {
            HfFamily expected = switch (type) {
                case "full" -> HfFamily.ROBERTA;
                case "global", "sliding_window" -> HfFamily.LONGFORMER;
                case "nystrom" -> HfFamily.NYSTROMFORMER;
                default -> HfFamily.ENCODER4J;
            };
            out.add(Arguments.of(type, config(List.of(spec(type)), false, null), expected));
        }
        out.add(Arguments.of("pre-LN", config(null, true, null), HfFamily.ENCODER4J));
        // Positions and residuals that no transformers family of these has.
        out.add(Arguments.of("rope", EncoderPresets.with(config(null, false, null),
                Map.of("position_encoding", "rope")), HfFamily.ENCODER4J));
        out.add(Arguments.of("axial", EncoderPresets.with(config(null, false, null),
                Map.of("position_encoding", "axial")), HfFamily.ENCODER4J));
        out.add(Arguments.of("reversible", EncoderPresets.with(config(null, true, null),
                Map.of("reversible", true)), HfFamily.ENCODER4J));
        out.add(Arguments.of("geglu", config(null, false, "geglu"), HfFamily.ENCODER4J));
        out.add(Arguments.of("per-layer list", config(List.of(spec("sliding_window"), spec("full")), false, null),
                HfFamily.ENCODER4J));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void exportThenImportIsTheSameModel(String name, EncoderConfig config, HfFamily family) throws Exception {
        Engine.getInstance().setRandomSeed(5);
        MaskedLmModel model = MaskedLmModel.create(config, manager);
        Path hf = tmp.resolve("hf");
        assertEquals(family, HfExporter.export(model, TOKENIZER, null, hf), name);
        JsonNode written = new ObjectMapper().readTree(hf.resolve("config.json").toFile());
        assertEquals(family.modelType(), written.get("model_type").asText());
        HfImporter.Imported back = HfImporter.load(hf, manager);
        assertEquals(family, back.family());
        assertEquals(config, back.model().config(), name);
        Map<String, float[]> before = RobertaInteropTest.values(model);
        Map<String, float[]> after = RobertaInteropTest.values(back.model());
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), name + " " + k));
        ModelOutputs.Batch batch = new HfFixture("roberta-tiny").batch();
        float[][][] a = (float[][][]) ModelOutputs.run(model, batch, "mlm").get("logits");
        float[][][] b = (float[][][]) ModelOutputs.run(back.model(), batch, "mlm").get("logits");
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                assertArrayEquals(a[i][j], b[i][j], name);
            }
        }
    }

    static Stream<Arguments> taskModels() {
        HeadConfig tanh = new HeadConfig(HeadConfig.SEQUENCE_CLASSIFICATION, null, null, List.of("no", "yes"), 0.2f,
                null, null);
        HeadConfig gelu = new HeadConfig(HeadConfig.SEQUENCE_CLASSIFICATION, 3, HeadConfig.MULTI_LABEL, null, null,
                null, HeadConfig.GELU);
        HeadConfig regression = HeadConfig.sequenceClassification(1, null);
        HeadConfig qa = HeadConfig.questionAnswering();
        HeadConfig token = new HeadConfig(HeadConfig.TOKEN_CLASSIFICATION, null, null, List.of("O", "B", "I"), null,
                null, null);
        EncoderConfig full = config(null, false, null);
        EncoderConfig longformer = config(List.of(spec("global")), false, null);
        EncoderConfig window = config(List.of(spec("sliding_window")), false, null);
        EncoderConfig nystrom = config(List.of(spec("nystrom")), false, null);
        return Stream.of(
                Arguments.of("full, tanh classifier", full, tanh, HfFamily.ROBERTA),
                Arguments.of("full, regression", full, regression, HfFamily.ROBERTA),
                // BigBird's classification head applies GELU: full attention with a GELU head is BigBird original_full.
                Arguments.of("full, gelu classifier", full, gelu, HfFamily.BIG_BIRD),
                Arguments.of("full, qa", full, qa, HfFamily.ROBERTA),
                Arguments.of("full, token", full, token, HfFamily.ROBERTA),
                Arguments.of("global, tanh classifier", longformer, tanh, HfFamily.LONGFORMER),
                Arguments.of("global, qa", longformer, qa, HfFamily.LONGFORMER),
                Arguments.of("global, token", longformer, token, HfFamily.LONGFORMER),
                Arguments.of("global, gelu classifier", longformer, gelu, HfFamily.ENCODER4J),
                // Longformer's classification and QA classes would place global attention the model never had.
                Arguments.of("sliding window, qa", window, qa, HfFamily.ENCODER4J),
                Arguments.of("sliding window, tanh classifier", window, tanh, HfFamily.ENCODER4J),
                Arguments.of("sliding window, token", window, token, HfFamily.LONGFORMER),
                Arguments.of("nystrom, gelu classifier", nystrom, gelu, HfFamily.NYSTROMFORMER),
                Arguments.of("nystrom, tanh classifier", nystrom, tanh, HfFamily.ENCODER4J),
                Arguments.of("nystrom, qa", nystrom, qa, HfFamily.NYSTROMFORMER),
                Arguments.of("linformer, token", config(List.of(spec("linformer")), false, null), token,
                        HfFamily.ENCODER4J),
                // BigBird's question-answering head over attention that BigBird's class does not compute.
                Arguments.of("global, bigbird qa", EncoderPresets.with(longformer, Map.of("type_vocab_size", 2)),
                        new HeadConfig(HeadConfig.QUESTION_ANSWERING, null, null, null, null, null, null,
                                HeadConfig.QA_BIGBIRD), HfFamily.ENCODER4J),
                Arguments.of("pre-LN, gelu classifier", config(null, true, null), gelu, HfFamily.ENCODER4J));
    }

    /**
     * Every head exports as the family whose class computes the same thing ({@link HfConfigMapping#familyOf(
     * EncoderConfig, HeadConfig)}) or else in encoder4j's layout, and comes back bit for bit with the same head
     * config.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("taskModels")
    void everyHeadExportsAndComesBack(String name, EncoderConfig config, HeadConfig head, HfFamily family)
            throws Exception {
        Engine.getInstance().setRandomSeed(9);
        TaskModel model = TaskModel.create(config, head, manager);
        Path hf = tmp.resolve("hf");
        assertEquals(family, HfExporter.export(model, TOKENIZER, null, hf), name);
        JsonNode written = new ObjectMapper().readTree(hf.resolve("config.json").toFile());
        assertEquals(family.className(head.type()), written.get("architectures").get(0).asText(), name);
        HfImporter.Imported back = HfImporter.load(hf, manager);
        assertEquals(config, back.model().config(), name);
        assertEquals(head, back.model().head(), name);
        Map<String, float[]> before = RobertaInteropTest.values(model);
        Map<String, float[]> after = RobertaInteropTest.values(back.model());
        assertEquals(before.keySet(), after.keySet());
        // BigBird numbers positions from 0: our rows before the first real token's (pad + 1) have no counterpart
        // there, and only padded positions read the padding row (docs/interop.md).
        int skipped = HfConfigMapping.positionShift(family, config.padTokenId()) * config.hiddenSize();
        before.forEach((k, v) -> assertArrayEquals(k.endsWith("position_embeddings")
                ? java.util.Arrays.copyOfRange(v, skipped, v.length) : v, k.endsWith("position_embeddings")
                ? java.util.Arrays.copyOfRange(after.get(k), skipped, v.length) : after.get(k), name + " " + k));
        ModelOutputs.Batch batch = new HfFixture("roberta-tiny").batch();
        String outputs = ModelOutputs.defaultHead(model);
        assertEquals(new ObjectMapper().valueToTree(ModelOutputs.run(model, batch, outputs)),
                new ObjectMapper().valueToTree(ModelOutputs.run(back.model(), batch, outputs)), name);
    }

    @Test
    void aModelImportedFromBigBirdStaysBigBirdWhereBigBirdsHeadComputesTheSame() throws Exception {
        JsonNode source = new ObjectMapper().readTree(SafetensorsTest.resource("big_bird-tiny/config.json").toFile());
        EncoderConfig full = config(null, false, null);
        HfFamily token = HfExporter.export(TaskModel.create(full, HeadConfig.tokenClassification(3), manager),
                TOKENIZER, source, tmp.resolve("token"));
        assertEquals(HfFamily.BIG_BIRD, token);
        // RoBERTa's tanh classification head is not BigBird's, nor its question answering: RoBERTa's classes.
        assertEquals(HfFamily.ROBERTA, HfExporter.export(TaskModel.create(full,
                HeadConfig.sequenceClassification(2, null), manager), TOKENIZER, source, tmp.resolve("cls")));
        assertEquals(HfFamily.ROBERTA, HfExporter.export(TaskModel.create(full, HeadConfig.questionAnswering(),
                manager), TOKENIZER, source, tmp.resolve("qa")));
    }

    @Test
    void djlFormatCarriesTheHead() throws Exception {
        Engine.getInstance().setRandomSeed(10);
        HeadConfig head = new HeadConfig(HeadConfig.SEQUENCE_CLASSIFICATION, null, null, List.of("a", "b", "c"),
                null, null, null);
        TaskModel model = TaskModel.create(config(null, false, null), head, manager);
        Path ours = tmp.resolve("ours");
        ModelDirectory.save(model, TOKENIZER, ours);
        Path djl = tmp.resolve("djl");
        DjlExporter.export(ours, djl);
        assertEquals(head, DjlExporter.readModelConfig(djl).head());
        try (Model loaded = DjlExporter.load(djl)) {
            assertTrue(loaded.getBlock() instanceof SequenceClassificationModel);
            Map<String, float[]> before = RobertaInteropTest.values(model);
            for (Pair<String, Parameter> p : loaded.getBlock().getParameters()) {
                assertArrayEquals(before.get(p.getKey()), p.getValue().getArray().toFloatArray(), p.getKey());
            }
        }
    }

    @Test
    void aSlidingWindowExportsAsLongformerAndComesBackAsGlobalAttentionOnceItsGlobalProjectionsChange()
            throws Exception {
        Engine.getInstance().setRandomSeed(6);
        EncoderConfig config = config(List.of(spec("sliding_window")), false, null);
        MaskedLmModel model = MaskedLmModel.create(config, manager);
        Path hf = tmp.resolve("hf");
        HfExporter.export(model, TOKENIZER, null, hf);
        Map<String, Safetensors.Tensor> tensors = new java.util.TreeMap<>(
                Safetensors.read(hf.resolve("model.safetensors")).tensors());
        String local = "longformer.encoder.layer.1.attention.self.key.weight";
        String global = "longformer.encoder.layer.1.attention.self.key_global.weight";
        assertEquals(tensors.get(local).data(), tensors.get(global).data());
        // Fine-tuned with global tokens elsewhere: the global projection is no longer the local one.
        float[] changed = tensors.get(global).toFloats();
        changed[0] += 1;
        tensors.put(global, Safetensors.Tensor.f32(tensors.get(global).shape(), changed));
        Safetensors.write(hf.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        TaskModel back = HfImporter.load(hf, manager).model();
        assertEquals("global", back.config().attention().get(0).type());
        assertEquals(4, back.config().attention().get(0).window());
        // Without global tokens it is still the sliding window it was.
        ModelOutputs.Batch batch = new HfFixture("roberta-tiny").batch();
        float[][][] a = (float[][][]) ModelOutputs.run(model, batch, "mlm").get("logits");
        float[][][] b = (float[][][]) ModelOutputs.run(back, batch, "mlm").get("logits");
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                assertArrayEquals(a[i][j], b[i][j]);
            }
        }
        Map<String, float[]> values = RobertaInteropTest.values(back);
        assertEquals(changed[0], values.entrySet().stream()
                .filter(e -> e.getKey().contains("layer1") && e.getKey().contains("key_global_weight"))
                .findFirst().orElseThrow().getValue()[0]);
    }

    @Test
    void namesFollowTransformersForEveryFamily() throws Exception {
        // Every parameter of a model maps to one name; RoBERTa's follow RobertaForMaskedLM exactly.
        MaskedLmModel model = MaskedLmModel.create(config(null, false, null), manager);
        Set<String> names = new HashSet<>();
        for (HfWeightNames.Mapped m : HfWeightNames.of(model, HfFamily.ROBERTA)) {
            names.add(m.hfName());
        }
        Set<String> expected = new HashSet<>(Set.of("roberta.embeddings.word_embeddings.weight",
                "roberta.embeddings.position_embeddings.weight", "roberta.embeddings.token_type_embeddings.weight",
                "roberta.embeddings.LayerNorm.weight", "roberta.embeddings.LayerNorm.bias", "lm_head.dense.weight",
                "lm_head.dense.bias", "lm_head.layer_norm.weight", "lm_head.layer_norm.bias", "lm_head.bias"));
        for (int i = 0; i < 2; i++) {
            String l = "roberta.encoder.layer." + i + ".";
            for (String p : new String[] {"attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense",
                    "output.LayerNorm"}) {
                expected.add(l + p + ".weight");
                expected.add(l + p + ".bias");
            }
        }
        assertEquals(expected, names);
        Set<String> bert = new HashSet<>();
        for (HfWeightNames.Mapped m : HfWeightNames.of(model, HfFamily.BIG_BIRD)) {
            bert.add(m.hfName());
        }
        assertTrue(bert.contains("cls.predictions.transform.dense.weight"));
        assertTrue(bert.contains("cls.predictions.transform.LayerNorm.bias"));
        assertTrue(bert.contains("cls.predictions.bias"));
        assertTrue(bert.contains("bert.encoder.layer.1.attention.self.query.weight"));
    }

    @Test
    void djlFormatLoadsWithDjlsOwnModelLoad() throws Exception {
        Engine.getInstance().setRandomSeed(8);
        EncoderConfig config = config(List.of(spec("sliding_window")), false, null);
        MaskedLmModel model = MaskedLmModel.create(config, manager);
        Path ours = tmp.resolve("ours");
        ModelDirectory.save(model, TOKENIZER, ours);
        Path djl = tmp.resolve("djl");
        DjlExporter.export(ours, djl);
        assertTrue(djl.resolve("model-0000.params").toFile().isFile());
        assertTrue(djl.resolve(ModelDirectory.TOKENIZER_FILE).toFile().isFile());
        try (Model loaded = DjlExporter.load(djl)) {
            Map<String, float[]> before = RobertaInteropTest.values(model);
            List<String> keys = new ArrayList<>();
            for (Pair<String, Parameter> p : loaded.getBlock().getParameters()) {
                keys.add(p.getKey());
                assertArrayEquals(before.get(p.getKey()), p.getValue().getArray().toFloatArray(), p.getKey());
            }
            assertEquals(new ArrayList<>(before.keySet()), keys);
        }
    }
}
