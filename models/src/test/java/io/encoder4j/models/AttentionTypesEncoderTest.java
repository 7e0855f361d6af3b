package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.attention.AttentionRegistry;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every attention type inside a whole encoder: any length from 1 to the maximum works forward and backward, and a
 * sequence's outputs at its real positions do not depend on the padding after it or on the other sequences of its
 * batch.
 */
class AttentionTypesEncoderTest {

    private static final int MAX = 40;

    /** Settings that fit a 40-token model; every registered type must be listed. */
    private static final Map<String, Object[]> SETTINGS = Map.ofEntries(
            Map.entry("full", new Object[] {}),
            Map.entry("blockwise", new Object[] {"num_blocks", 3}),
            Map.entry("sliding_window", new Object[] {"window", 6, "dilation", List.of(1, 2)}),
            Map.entry("global", new Object[] {"window", 6}),
            Map.entry("bigbird", new Object[] {"block_size", 4, "num_random_blocks", 2}),
            Map.entry("linformer", new Object[] {"projected_length", 8}),
            Map.entry("nystrom", new Object[] {"num_landmarks", 6, "conv_kernel", 3}),
            Map.entry("long_short", new Object[] {"window", 6, "rank", 4}),
            Map.entry("linear", new Object[] {}),
            Map.entry("performer", new Object[] {"num_features", 16}),
            Map.entry("rfa", new Object[] {"num_features", 16, "gate", true}),
            Map.entry("lsh", new Object[] {"num_buckets", 4, "chunk_size", 4}));

    static List<String> types() {
        return List.copyOf(AttentionRegistry.names());
    }

    @ParameterizedTest
    @MethodSource("types")
    void outputsDependOnlyOnTheSequenceItself(String type) {
        assertTrue(SETTINGS.containsKey(type), "no settings for registered type " + type);
        Object[] settings = SETTINGS.get(type);
        Object[] keyValues = new Object[settings.length + 2];
        System.arraycopy(settings, 0, keyValues, 0, settings.length);
        keyValues[settings.length] = "dropout";
        keyValues[settings.length + 1] = 0;
        AttentionConfig attention = AttentionConfig.of(type, keyValues);
        EncoderConfig config = new EncoderConfig(30, 16, 2, 2, 32, MAX + 2, 0f, null, null, null, null, null,
                null, List.of(attention));
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(11);
            MaskedLmModel model = MaskedLmModel.create(config, manager);
            EncoderProperties.assertRealOutputsDependOnlyOnTheSequence(type, model.encoder(), manager,
                    new Random(type.hashCode()), 3, "global".equals(type));
        }
    }
}
