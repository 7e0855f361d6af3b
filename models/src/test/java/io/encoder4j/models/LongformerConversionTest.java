package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.config.ConfigException;
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

/** Longformer conversion of a short full-attention model. */
class LongformerConversionTest {

    /**
     * A 16-token model with full attention; weights drawn wider than RoBERTa's 0.02 so that attention is far from
     * uniform and a window that misses keys would show in every output.
     */
    private static final EncoderConfig SHORT = EncoderPresets.with(TaskHeadsTest.TINY, Map.of(
            "max_position_embeddings", 18, "dropout", 0.0, "initializer_range", 0.3,
            "attention", Map.of("type", "full", "dropout", 0.0)));

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static Stream<HeadConfig> heads() {
        return Stream.of(HeadConfig.maskedLm(), HeadConfig.sequenceClassification(3, null),
                HeadConfig.questionAnswering(), HeadConfig.tokenClassification(4));
    }

    /** Three rows of 16, 12 and 7 tokens, question-answer pairs. */
    private static NDArray ids() {
        long[][] rows = {
            {0, 5, 6, 7, 2, 2, 8, 9, 10, 11, 12, 13, 14, 15, 16, 2},
            {0, 5, 2, 2, 8, 9, 10, 11, 12, 13, 14, 2, 1, 1, 1, 1},
            {0, 5, 6, 2, 8, 9, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1}};
        return manager.create(java.util.Arrays.stream(rows).flatMapToLong(java.util.Arrays::stream).toArray(),
                new Shape(3, 16));
    }

    private static List<float[]> outputs(TaskModel model, NDArray ids) {
        NDArray mask = ids.neq(1).toType(DataType.FLOAT32, false);
        NDList inputs = new NDList(ids, mask);
        if (model instanceof MaskedLmModel) {
            inputs.add(manager.create(new long[] {1, 7, 20, 33}));
        }
        NDList out = model.forward(new ParameterStore(manager, false), inputs, false);
        // Only real positions are compared: the QA and token logits at padding are not defined to be equal.
        float[] real = mask.toFloatArray();
        return out.stream().map(a -> {
            float[] v = a.toFloatArray();
            if (a.getShape().dimension() >= 2 && a.getShape().get(1) == 16 && !(model instanceof MaskedLmModel)) {
                int per = (int) (v.length / real.length);
                for (int i = 0; i < v.length; i++) {
                    v[i] = real[i / per] == 0 ? 0 : v[i];
                }
            }
            return v;
        }).toList();
    }

    @ParameterizedTest
    @MethodSource("heads")
    void theConvertedModelComputesWhatTheOriginalDidWhenTheWindowCoversTheInput(HeadConfig head) {
        Engine.getInstance().setRandomSeed(9);
        TaskModel original = TaskModel.create(SHORT, head, manager);
        // w/2 = 16 keys on each side cover inputs of up to 17 tokens; the original takes 16.
        TaskModel converted = LongformerConversion.convert(original, 64, 32, manager);
        assertEquals(64, converted.config().maxSequenceLength());
        assertEquals(List.of(AttentionConfig.of("global", "local", "sliding_window", "window", 32, "dropout", 0.0)),
                converted.config().attention());
        assertEquals(original.head(), converted.head());
        assertTrue(converted.usesGlobalAttention());
        NDArray ids = ids();
        List<float[]> expected = outputs(original, ids);
        List<float[]> actual = outputs(converted, ids);
        for (int i = 0; i < expected.size(); i++) {
            float[] e = expected.get(i);
            float[] a = actual.get(i);
            for (int j = 0; j < e.length; j++) {
                assertEquals(e[j], a[j], 2e-5, head.type() + " output " + i + " element " + j);
            }
        }
        // The window does not cover longer inputs: there the converted model is a Longformer of its own.
        NDArray longIds = manager.randomInteger(3, 30, new Shape(1, 60), DataType.INT64);
        assertEquals(new Shape(1, 60, 16), converted.encoder().encode(new ParameterStore(manager, false), longIds,
                manager.ones(new Shape(1, 60)), false).getShape());
    }

    @Test
    void positionEmbeddingsAreCopiedOverAndOver() {
        Engine.getInstance().setRandomSeed(10);
        TaskModel original = TaskModel.create(SHORT, HeadConfig.maskedLm(), manager);
        TaskModel converted = LongformerConversion.convert(original, 40, 8, manager);
        float[] before = original.encoder().embeddings().positionEmbeddings().getArray().toFloatArray();
        float[] after = converted.encoder().embeddings().positionEmbeddings().getArray().toFloatArray();
        int e = 16;
        assertEquals(42 * e, after.length);
        for (int row = 0; row < 42; row++) {
            // Rows 0 and 1 (padding and below) stay; the 16 learned rows repeat: 2..17, 2..17, then 2..9.
            int source = row < 2 ? row : 2 + (row - 2) % 16;
            for (int i = 0; i < e; i++) {
                assertEquals(before[source * e + i], after[row * e + i], 0f, "row " + row);
            }
        }
        // Global projections start as copies of the local ones.
        var params = NamedParameters.of(converted);
        assertArrayEquals(params.get("encoder_layer1_attention_key_weight").getArray().toFloatArray(),
                params.get("encoder_layer1_attention_key_global_weight").getArray().toFloatArray(), 0f);
    }

    @Test
    void whatCannotBeConvertedIsNamed() {
        TaskModel original = TaskModel.create(SHORT, HeadConfig.maskedLm(), manager);
        assertEquals("--max-length 16 must be larger than the model's maximum length 16",
                assertThrows(ConfigException.class, () -> LongformerConversion.convert(original, 16, 8, manager))
                        .getMessage());
        assertEquals("--window 7: window must be an even number >= 2 (w/2 keys on each side), got 7",
                assertThrows(ConfigException.class, () -> LongformerConversion.convert(original, 64, 7, manager))
                        .getMessage());
        assertEquals("--window 128: attention.window 128 is larger than the maximum length 64",
                assertThrows(ConfigException.class, () -> LongformerConversion.convert(original, 64, 128, manager))
                        .getMessage());
        TaskModel sliding = TaskModel.create(EncoderPresets.with(SHORT, Map.of("attention",
                Map.of("type", "sliding_window", "window", 4))), HeadConfig.maskedLm(), manager);
        assertEquals("layer 0 has attention type 'sliding_window': only models with full attention in every layer "
                + "can be converted", assertThrows(ConfigException.class,
                        () -> LongformerConversion.convert(sliding, 64, 8, manager)).getMessage());
    }

    @Test
    void directoriesAreConvertedIntoNewOnesOnly(@TempDir Path dir) throws Exception {
        Engine.getInstance().setRandomSeed(12);
        TaskModel original = TaskModel.create(SHORT, HeadConfig.questionAnswering(), manager);
        Path source = dir.resolve("short");
        ModelDirectory.save(original, Files.writeString(dir.resolve("tok.json"), "{\"t\": 1}"), source);
        Path target = dir.resolve("long");
        LongformerConversion.convert(source, target, 48, 32);
        assertEquals("{\"t\": 1}", Files.readString(target.resolve(ModelDirectory.TOKENIZER_FILE)));
        QuestionAnsweringModel loaded = ModelDirectory.load(target, manager, QuestionAnsweringModel.class);
        assertEquals(48, loaded.config().maxSequenceLength());
        List<float[]> expected = outputs(original, ids());
        List<float[]> actual = outputs(loaded, ids());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), 2e-5f);
        }
        ConfigException e = assertThrows(ConfigException.class,
                () -> LongformerConversion.convert(source, target, 48, 32));
        assertEquals(target + ": already exists; give a new directory (nothing was overwritten)", e.getMessage());
    }
}
