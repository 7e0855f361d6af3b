package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.encoder4j.core.attention.FullAttention;
import io.encoder4j.core.attention.SlidingWindowAttention;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attention per layer: one spec for every layer, or a list repeated over the layers. */
class EncoderConfigTest {

    @TempDir
    Path dir;

    private EncoderConfig load(String yaml) throws Exception {
        return ConfigLoader.load(Files.writeString(dir.resolve("model.yaml"), yaml), EncoderConfig.class, List.of());
    }

    private static List<Class<?>> attentionClasses(TransformerEncoder encoder) {
        List<Class<?>> classes = new ArrayList<>();
        for (var layer : encoder.getChildren().values()) {
            for (var child : layer.getChildren()) {
                if (child.getKey().endsWith("attention")) {
                    classes.add(child.getValue().getClass());
                }
            }
        }
        return classes;
    }

    @Test
    void aShortListRepeatsOverTheLayers() throws Exception {
        EncoderConfig config = load(String.join("\n",
                "vocab_size: 40", "hidden_size: 16", "num_layers: 4", "num_heads: 2", "max_position_embeddings: 34",
                "attention:",
                "  - {type: sliding_window, window: 8}",
                "  - {type: full}", ""));
        try (NDManager manager = NDManager.newBaseManager()) {
            MaskedLmModel model = MaskedLmModel.create(config, manager);
            assertEquals(List.of(SlidingWindowAttention.class, FullAttention.class, SlidingWindowAttention.class,
                    FullAttention.class), attentionClasses(model.encoder()));
            NDArray ids = manager.randomInteger(3, 40, new Shape(2, 32), ai.djl.ndarray.types.DataType.INT64);
            NDArray hidden = model.encoder().encode(new ParameterStore(manager, false), ids,
                    manager.ones(new Shape(2, 32)), false);
            assertEquals(new Shape(2, 32, 16), hidden.getShape());
        }
        // Written back as a list; a single spec stays a single mapping.
        assertTrue(ConfigLoader.toYaml(config).contains("- type: sliding_window"), ConfigLoader.toYaml(config));
        String single = ConfigLoader.toYaml(load("attention: {type: full, dropout: 0.0}\n"));
        assertTrue(single.contains("attention:\n  type: full"), single);
    }

    @Test
    void listEntriesAreCheckedAndNamed() {
        ConfigException tooLong = assertThrows(ConfigException.class, () -> load(String.join("\n",
                "num_layers: 1", "attention: [{type: full}, {type: full}]", "")));
        assertTrue(tooLong.getMessage().contains("attention has 2 entries for 1 layers"), tooLong.getMessage());
        ConfigException window = assertThrows(ConfigException.class, () -> load(String.join("\n",
                "num_layers: 2", "max_position_embeddings: 34",
                "attention: [{type: full}, {type: sliding_window, window: 64}]", "")));
        assertTrue(window.getMessage().endsWith(
                "line 3: attention[1].window 64 is larger than the maximum length 32"), window.getMessage());
    }

    /** One token type by default (RoBERTa's single row); BigBird's two when asked; zero is an error naming the key. */
    @Test
    void tokenTypesDefaultToOne() throws Exception {
        assertEquals(1, EncoderConfig.defaults().typeVocabSize());
        assertEquals(2, load("type_vocab_size: 2\n").typeVocabSize());
        ConfigException none = assertThrows(ConfigException.class, () -> load("type_vocab_size: 0\n"));
        assertTrue(none.getMessage().endsWith("line 1: type_vocab_size must be a positive integer, got 0"),
                none.getMessage());
    }

}
