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
            new EncoderConfig(50, 16, 2, 4, 32, 12, 0.1f, null, null, null, null);

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

    @Test
    void everyParameterReceivesGradientAndTiedDecoderIsShared() {
        MaskedLmModel model = MaskedLmModel.create(TINY, manager);
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
        // (q, k, v, out: 8; two LN: 4; FFN: 4) + head (dense 2, LN 2, bias 1).
        assertEquals(3 + 2 + 2 * 16 + 5, count);
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
        MaskedLmModel loaded = ModelDirectory.load(dir.resolve("model"), manager);
        assertEquals(TINY, loaded.config());
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray input = ids(0, 5, 6, 7, 2);
        NDArray mask = manager.ones(new Shape(1, 5), DataType.FLOAT32);
        NDArray positions = manager.create(new long[] {1, 2, 3});
        assertArrayEquals(model.maskedLogits(ps, input, mask, positions, false).toFloatArray(),
                loaded.maskedLogits(ps, input, mask, positions, false).toFloatArray(), 0f);
        assertTrue(Files.isRegularFile(dir.resolve("model/tokenizer.json")));
    }
}
