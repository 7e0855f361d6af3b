package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Saving and loading models of every head, and starting a task model from a pretrained encoder. */
class ModelDirectoryTest {

    private static NDManager manager;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static Stream<HeadConfig> heads() {
        return Stream.of(HeadConfig.maskedLm(),
                new HeadConfig(HeadConfig.SEQUENCE_CLASSIFICATION, null, null, List.of("neg", "pos"), 0.2f, null),
                HeadConfig.sequenceClassification(3, HeadConfig.MULTI_LABEL), HeadConfig.questionAnswering(),
                HeadConfig.tokenClassification(5));
    }

    /** The model's block outputs on the shared test batch (masked-LM: at three flat positions). */
    private static List<float[]> outputs(TaskModel model) {
        NDArray ids = TaskHeadsTest.ids(manager);
        NDList inputs = new NDList(ids, TaskHeadsTest.mask(manager));
        if (model instanceof MaskedLmModel) {
            inputs.add(manager.create(new long[] {1, 5, 10}));
        }
        NDList out = model.forward(new ParameterStore(manager, false), inputs, false);
        return out.stream().map(NDArray::toFloatArray).toList();
    }

    private Path tokenizer() throws Exception {
        return Files.writeString(dir.resolve("tok.json"), "{}");
    }

    @ParameterizedTest
    @MethodSource("heads")
    void aSavedModelLoadsWithIdenticalOutputsAndTrains(HeadConfig head) throws Exception {
        for (EncoderConfig config : List.of(TaskHeadsTest.TINY, TaskHeadsTest.TINY_GLOBAL)) {
            Engine.getInstance().setRandomSeed(6);
            TaskModel model = TaskModel.create(config, head, manager);
            Path saved = dir.resolve(head.type() + config.attention().get(0).type());
            ModelDirectory.save(model, tokenizer(), saved);
            assertEquals(new ModelConfig(config, head), ModelDirectory.readConfig(saved));
            TaskModel loaded = ModelDirectory.load(saved, manager);
            assertEquals(model.getClass(), loaded.getClass());
            assertEquals(head, loaded.head());
            List<float[]> expected = outputs(model);
            List<float[]> actual = outputs(loaded);
            for (int i = 0; i < expected.size(); i++) {
                assertArrayEquals(expected.get(i), actual.get(i), 0f);
            }
            // Loaded parameters take gradients, so a loaded model can be trained further.
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray ids = TaskHeadsTest.ids(manager);
                NDList inputs = new NDList(ids, TaskHeadsTest.mask(manager));
                if (loaded instanceof MaskedLmModel) {
                    inputs.add(manager.create(new long[] {1, 5, 10}));
                }
                gc.backward(loaded.forward(new ParameterStore(manager, false), inputs, true).head().sum());
            }
            Parameter firstLayer = NamedParameters.of(loaded).get("encoder_layer0_attention_value_weight");
            assertTrue(firstLayer.getArray().getGradient().abs().sum().getFloat() > 0);
        }
    }

    @Test
    void aCheckpointOfAnotherHeadNamesTheFirstMismatch() throws Exception {
        TaskModel model = TaskModel.create(TaskHeadsTest.TINY, HeadConfig.sequenceClassification(3, null), manager);
        Path saved = dir.resolve("cls");
        ModelDirectory.save(model, tokenizer(), saved);
        String json = Files.readString(saved.resolve(ModelDirectory.CONFIG_FILE));
        Files.writeString(saved.resolve(ModelDirectory.CONFIG_FILE), json.replace("\"num_labels\" : 3",
                "\"num_labels\" : 4"));
        ConfigException e = assertThrows(ConfigException.class, () -> ModelDirectory.load(saved, manager));
        assertEquals(saved.resolve("model.params") + ": the checkpoint's parameter 'classifier_out_proj_weight' "
                + "[3, 16] does not match the model's 'classifier_out_proj_weight' [4, 16] (a checkpoint of a "
                + "different architecture)", e.getMessage());
        Files.writeString(saved.resolve(ModelDirectory.CONFIG_FILE), ConfigLoader.toJson(
                new ModelConfig(TaskHeadsTest.TINY, HeadConfig.tokenClassification(3))));
        ConfigException other = assertThrows(ConfigException.class, () -> ModelDirectory.load(saved, manager));
        assertEquals(saved.resolve("model.params") + ": the checkpoint's parameter 'classifier_dense_weight' "
                + "[16, 16] does not match the model's 'classifier_weight' [3, 16] (a checkpoint of a different "
                + "architecture)", other.getMessage());
        // Asking for a given class names the head type found.
        Files.writeString(saved.resolve(ModelDirectory.CONFIG_FILE), json);
        ConfigException typed = assertThrows(ConfigException.class,
                () -> ModelDirectory.load(saved, manager, QuestionAnsweringModel.class));
        assertTrue(typed.getMessage().endsWith("head type is 'sequence_classification', not the "
                + "QuestionAnsweringModel expected here"), typed.getMessage());
    }

    @Test
    void aModelJsonWithOnlyTheEncoderIsAMaskedLmModel() throws Exception {
        Engine.getInstance().setRandomSeed(7);
        MaskedLmModel model = MaskedLmModel.create(TaskHeadsTest.TINY, manager);
        Path saved = dir.resolve("old");
        ModelDirectory.save(model, null, saved);
        Files.writeString(saved.resolve(ModelDirectory.CONFIG_FILE), ConfigLoader.toJson(TaskHeadsTest.TINY));
        MaskedLmModel loaded = ModelDirectory.load(saved, manager, MaskedLmModel.class);
        assertArrayEquals(outputs(model).get(0), outputs(loaded).get(0), 0f);
        assertFalse(Files.exists(saved.resolve(ModelDirectory.TOKENIZER_FILE)));
    }

    @Test
    void saveNewRefusesAnExistingDirectoryAndLeavesNoTemporaryFiles() throws Exception {
        TaskModel model = TaskModel.create(TaskHeadsTest.TINY, HeadConfig.tokenClassification(2), manager);
        Path target = dir.resolve("new");
        ModelDirectory.saveNew(model, tokenizer(), target);
        assertTrue(Files.isRegularFile(target.resolve(ModelDirectory.WEIGHTS_FILE)));
        ConfigException e = assertThrows(ConfigException.class, () -> ModelDirectory.saveNew(model, null, target));
        assertEquals(target + ": already exists; give a new directory (nothing was overwritten)", e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("new", "tok.json"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void aTaskModelStartsFromThePretrainedEncoderWithAFreshHead() throws Exception {
        Engine.getInstance().setRandomSeed(8);
        MaskedLmModel pretrained = MaskedLmModel.create(TaskHeadsTest.TINY, manager);
        Path saved = dir.resolve("pretrained");
        ModelDirectory.save(pretrained, tokenizer(), saved);

        HeadConfig head = HeadConfig.sequenceClassification(2, null);
        TaskModel model = ModelDirectory.fromPretrained(saved, head, manager);
        assertTrue(model instanceof SequenceClassificationModel);
        Map<String, Parameter> from = NamedParameters.of(pretrained.encoder());
        Map<String, Parameter> to = NamedParameters.of(model.encoder());
        assertEquals(from.keySet(), to.keySet());
        for (String name : from.keySet()) {
            assertArrayEquals(from.get(name).getArray().toFloatArray(), to.get(name).getArray().toFloatArray(), 0f,
                    name);
        }
        // The new head is initialised as RoBERTa's: N(0, 0.02) weights, zero biases.
        Map<String, Parameter> all = NamedParameters.of(model);
        float[] dense = all.get("classifier_dense_weight").getArray().toFloatArray();
        double sumSquares = 0;
        for (float v : dense) {
            sumSquares += v * v;
        }
        assertEquals(0.02, Math.sqrt(sumSquares / dense.length), 0.006);
        assertEquals(0f, all.get("classifier_out_proj_bias").getArray().abs().sum().getFloat(), 0f);
        // Same encoder, same hidden states.
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray ids = TaskHeadsTest.ids(manager);
        NDArray mask = TaskHeadsTest.mask(manager);
        assertArrayEquals(pretrained.encoder().encode(ps, ids, mask, false).toFloatArray(),
                model.encoder().encode(ps, ids, mask, false).toFloatArray(), 0f);

        // Another dropout changes no parameter: allowed.
        ModelDirectory.fromPretrained(saved, EncoderPresets.with(TaskHeadsTest.TINY, Map.of("dropout", 0.3)),
                head, manager);
        // A wider feed-forward layer is another architecture.
        EncoderConfig wider = EncoderPresets.with(TaskHeadsTest.TINY, Map.of("intermediate_size", 48));
        ConfigException e = assertThrows(ConfigException.class,
                () -> ModelDirectory.fromPretrained(saved, wider, head, manager));
        assertEquals(saved.resolve("model.params") + ": the pretrained encoder's parameter "
                + "'encoder_layer0_feed_forward_intermediate_weight' [32, 16] does not match the model's "
                + "'encoder_layer0_feed_forward_intermediate_weight' [48, 16] (an encoder of a different "
                + "architecture)", e.getMessage());
    }
}
