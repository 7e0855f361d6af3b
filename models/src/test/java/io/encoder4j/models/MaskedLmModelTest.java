package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaskedLmModelTest {

    private static final EncoderConfig TINY =
            new EncoderConfig(50, 16, 2, 4, 32, 12, 0.1f, null, null, null, null, null, null, null);

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        Engine.getInstance().setRandomSeed(3);
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static NDArray ids(long... values) {
        return manager.create(values, new Shape(1, values.length));
    }

    @Test
    void robertaPositionIdsSkipPadding() {
        MaskedLmModel model = MaskedLmModel.create(TINY, manager);
        NDArray positions = model.encoder().embeddings().positionIds(manager.create(new long[] {0, 7, 9, 2, 1, 1},
                new Shape(1, 6)));
        assertArrayEquals(new long[] {2, 3, 4, 5, 1, 1}, positions.toLongArray());
    }

    private static EncoderConfig tiny(String positionInit, boolean preNorm) {
        return new EncoderConfig(50, 16, 2, 4, 32, 12, 0.1f, null, null, null, positionInit, preNorm, null, null);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void everyParameterReceivesGradientAndTiedDecoderIsShared(boolean preNorm) {
        MaskedLmModel model = MaskedLmModel.create(tiny(null, preNorm), manager);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray input = manager.create(new long[] {0, 5, 4, 7, 8, 2, 0, 9, 4, 2, 1, 1}, new Shape(2, 6));
        NDArray mask = manager.create(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 6));
        NDArray positions = manager.create(new long[] {2, 8});
        NDArray labels = manager.create(new long[] {11, 12});
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logits = model.maskedLogits(ps, input, mask, positions, true);
            assertEquals(new Shape(2, 50), logits.getShape());
            gc.backward(MaskedLmModel.loss(logits, labels));
        }
        int count = 0;
        for (Pair<String, Parameter> p : model.getParameters()) {
            NDArray grad = p.getValue().getArray().getGradient();
            float norm = grad.abs().sum().getFloat();
            // Rows of pad and of unused ids get no gradient, but every tensor as a whole must.
            assertTrue(norm > 0 && Float.isFinite(norm), p.getKey() + " has gradient norm " + norm);
            count++;
        }
        // The tied decoder is not a second parameter: embeddings (3) + LN (2) + per layer
        // (q, k, v, out: 8; two LN: 4; FFN: 4) + head (dense 2, LN 2, bias 1) + pre-LN's final LN (2).
        assertEquals(3 + 2 + 2 * 16 + 5 + (preNorm ? 2 : 0), count);
    }

    @Test
    void positionTableStartsAtScaledSinusoidsWhenAsked() {
        float[] sinusoidal = MaskedLmModel.create(tiny("sinusoidal", false), manager).encoder().embeddings()
                .positionEmbeddings().getArray().toFloatArray();
        double scale = 0.02 * Math.sqrt(2);
        // Row 5, dimensions 0 and 1: sin(5) and cos(5); dimension 2: sin(5 / 10000^(2/16)).
        assertEquals(scale * Math.sin(5), sinusoidal[5 * 16], 1e-6);
        assertEquals(scale * Math.cos(5), sinusoidal[5 * 16 + 1], 1e-6);
        assertEquals(scale * Math.sin(5 / Math.pow(10000, 2.0 / 16)), sinusoidal[5 * 16 + 2], 1e-6);
        float[] normal = MaskedLmModel.create(tiny(null, false), manager).encoder().embeddings()
                .positionEmbeddings().getArray().toFloatArray();
        double sumSquares = 0;
        for (float v : normal) {
            sumSquares += v * v;
        }
        assertEquals(0.02, Math.sqrt(sumSquares / normal.length), 0.005);
    }

    @Test
    void maskedLossOfUniformModelIsLogVocabulary() {
        NDArray logits = manager.zeros(new Shape(3, 50));
        float loss = MaskedLmModel.loss(logits, manager.create(new long[] {1, 2, 3})).getFloat();
        assertEquals(Math.log(50), loss, 1e-5);
    }

    @Test
    void savedModelLoadsWithIdenticalOutputs(@TempDir Path dir) throws Exception {
        MaskedLmModel model = MaskedLmModel.create(TINY, manager);
        Path tokenizer = Files.writeString(dir.resolve("tok.json"), "{}");
        ModelDirectory.save(model, tokenizer, dir.resolve("model"));
        MaskedLmModel loaded = ModelDirectory.load(dir.resolve("model"), manager, MaskedLmModel.class);
        assertEquals(TINY, loaded.config());
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray input = ids(0, 5, 6, 7, 2);
        NDArray mask = manager.ones(new Shape(1, 5), DataType.FLOAT32);
        NDArray positions = manager.create(new long[] {1, 2, 3});
        assertArrayEquals(model.maskedLogits(ps, input, mask, positions, false).toFloatArray(),
                loaded.maskedLogits(ps, input, mask, positions, false).toFloatArray(), 0f);
        assertTrue(Files.isRegularFile(dir.resolve("model/tokenizer.json")));
    }

    @Test
    void checkpointOfAnotherArchitectureNamesTheFirstMismatch(@TempDir Path dir) throws Exception {
        MaskedLmModel model = MaskedLmModel.create(TINY, manager);
        Path tokenizer = Files.writeString(dir.resolve("tok.json"), "{}");
        Path saved = dir.resolve("model");
        ModelDirectory.save(model, tokenizer, saved);
        String json = Files.readString(saved.resolve(ModelDirectory.CONFIG_FILE));
        // The same checkpoint under a config with a wider feed-forward layer.
        Files.writeString(saved.resolve(ModelDirectory.CONFIG_FILE),
                json.replace("\"intermediate_size\" : 32", "\"intermediate_size\" : 48"));
        io.encoder4j.core.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.encoder4j.core.config.ConfigException.class, () -> ModelDirectory.load(saved, manager));
        assertEquals(saved.resolve("model.params") + ": the checkpoint's parameter "
                + "'encoder_layer0_feed_forward_intermediate_weight' [32, 16] does not match the model's "
                + "'encoder_layer0_feed_forward_intermediate_weight' [48, 16] (a checkpoint of a different "
                + "architecture)", e.getMessage());
    }
}
