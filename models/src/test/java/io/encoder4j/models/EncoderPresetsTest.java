package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The model presets in configs/models: all load and validate, and each works as a tiny model. */
class EncoderPresetsTest {

    private static final int MAX = 40;

    /** The repository's configs/models, found from the module directory the tests run in. */
    static Path presetDirectory() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(EncoderPresets.DIRECTORY);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(EncoderPresets.DIRECTORY + " not found above " + Path.of("").toAbsolutePath());
    }

    static List<Path> presetFiles() throws IOException {
        try (Stream<Path> files = Files.list(presetDirectory())) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    static List<Named<Path>> presets() throws IOException {
        return presetFiles().stream().map(p -> Named.of(p.getFileName().toString(), p)).toList();
    }

    @Test
    void theIssuesPresetsExist() throws IOException {
        List<String> names = presetFiles().stream().map(p -> p.getFileName().toString().replace(".yaml", "")).toList();
        for (String required : List.of("roberta-base", "roberta-tiny", "longformer-base-4096",
                "bigbird-roberta-base")) {
            assertTrue(names.contains(required), required + " missing from " + names);
        }
        for (String family : List.of("blockwise", "linformer", "nystrom", "long-short", "linear", "performer", "rfa",
                "reformer")) {
            assertTrue(names.contains(family + "-small") && names.contains(family + "-base"),
                    family + "-small/-base missing from " + names);
        }
    }

    @ParameterizedTest
    @MethodSource("presets")
    void everyPresetLoadsAndValidates(Path file) {
        EncoderConfig config = EncoderPresets.load(file);
        if (config.maxPositionEmbeddings() != null) {
            config.validateAttention(config.maxSequenceLength());
        }
        // Resolves as a job would for its own tokenizer and longest sequence.
        EncoderConfig resolved = config.resolve(50265, config.maxPositionEmbeddings() == null ? 512
                : config.maxSequenceLength());
        assertTrue(resolved.isResolved());
    }

    @Test
    void publishedSettings() {
        EncoderConfig longformer = EncoderPresets.load(presetDirectory().resolve("longformer-base-4096.yaml"));
        assertEquals(4096, longformer.maxSequenceLength());
        assertEquals(AttentionConfig.of("global", "local", "sliding_window", "window", 512, "dropout", 0.1),
                longformer.attention().get(0));
        EncoderConfig bigbird = EncoderPresets.load(presetDirectory().resolve("bigbird-roberta-base.yaml"));
        assertEquals(64, bigbird.attention().get(0).blockSize());
        assertEquals(3, bigbird.attention().get(0).numRandomBlocks());
        EncoderConfig base = EncoderPresets.load(presetDirectory().resolve("roberta-base.yaml"));
        assertEquals(List.of(768, 12, 12, 3072, 514), List.of(base.hiddenSize(), base.numLayers(), base.numHeads(),
                base.intermediateSize(), base.maxPositionEmbeddings()));
    }

    @Test
    void errorsNameTheFileLineAndKey(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("bad.yaml"), "model:\n  hidden_size: 64\n  attention: "
                + "{type: sliding_window, windw: 8}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> EncoderPresets.load(file));
        assertTrue(e.getMessage().startsWith(file + ": line 3: ") && e.getMessage().contains("windw"),
                e.getMessage());
        Path noSection = Files.writeString(dir.resolve("flat.yaml"), "hidden_size: 64\n");
        ConfigException flat = assertThrows(ConfigException.class, () -> EncoderPresets.load(noSection));
        assertTrue(flat.getMessage().contains("unknown key 'hidden_size'"), flat.getMessage());
    }

    @Test
    void shrinkScalesLengthsAndKeepsCounts() {
        EncoderConfig bigbird = EncoderPresets.load(presetDirectory().resolve("bigbird-roberta-base.yaml"));
        EncoderConfig tiny = EncoderPresets.shrink(bigbird, 16, 2, 2, 32, 256);
        assertEquals(256, tiny.maxSequenceLength());
        AttentionConfig a = tiny.attention().get(0);
        assertEquals(4, a.blockSize());
        assertEquals(3, a.numRandomBlocks());
        assertEquals(2, a.numGlobalBlocks());
        EncoderConfig changed = EncoderPresets.with(tiny, Map.of("dropout", 0.0));
        assertEquals(0f, changed.dropout());
        assertEquals(tiny.attention(), changed.attention());
    }

    /**
     * The acceptance property of issue 4 for every preset at tiny sizes: random lengths 1 ... max, forward and
     * backward, outputs at real positions independent of padding and of the rest of the batch (with global attention
     * on {@code <s>} where the preset has global attention).
     */
    @ParameterizedTest
    @MethodSource("presets")
    void tinyVersionOfEveryPresetDependsOnlyOnTheSequence(Path file) {
        EncoderConfig preset = EncoderPresets.load(file);
        EncoderConfig tiny = EncoderPresets.shrink(preset, 16, 2, 2, 32, MAX);
        List<Map<String, Object>> attention = tiny.attention().stream()
                .map(a -> EncoderPresetsTest.withoutDropout(a)).toList();
        tiny = EncoderPresets.with(tiny, Map.of("dropout", 0.0, "vocab_size", 30, "attention", attention));
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            TaskModel model = TaskModel.create(tiny, HeadConfig.maskedLm(), manager);
            EncoderProperties.assertRealOutputsDependOnlyOnTheSequence(file.getFileName().toString(),
                    model.encoder(), manager, new Random(file.getFileName().toString().hashCode()), 2,
                    model.usesGlobalAttention());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutDropout(AttentionConfig a) {
        Map<String, Object> map = io.encoder4j.core.config.ConfigLoader.mapper().convertValue(a, Map.class);
        map.put("dropout", 0.0);
        return map;
    }
}
