package io.encoder4j.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.EncoderPresets;
import io.encoder4j.models.HeadConfig;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.TaskModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertLongformerCommandTest {

    @Test
    void convertsIntoANewDirectoryAndRefusesAnExistingOne(@TempDir Path dir) throws Exception {
        EncoderConfig config = EncoderPresets.with(EncoderConfig.defaults(), Map.of("vocab_size", 30,
                "hidden_size", 16, "num_layers", 1, "num_heads", 2, "max_position_embeddings", 18));
        Path source = dir.resolve("short");
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelDirectory.save(TaskModel.create(config, HeadConfig.sequenceClassification(2, null), manager),
                    Files.writeString(dir.resolve("tokenizer.json"), "{}"), source);
        }
        Path target = dir.resolve("long");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] args = {"convert-longformer", source.toString(), target.toString(), "--max-length", "64",
            "--window", "16"};
        assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args), err.toString());
        assertTrue(out.toString().contains("up to 64 tokens"), out.toString());
        EncoderConfig converted = ModelDirectory.readConfig(target).encoder();
        assertEquals(64, converted.maxSequenceLength());
        assertEquals(16, converted.attention().get(0).window());

        StringWriter again = new StringWriter();
        assertEquals(2, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(again, true), args));
        assertEquals("error: " + target + ": already exists; give a new directory (nothing was overwritten)",
                again.toString().strip());
        StringWriter odd = new StringWriter();
        assertEquals(2, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(odd, true), "convert-longformer",
                source.toString(), dir.resolve("other").toString(), "--window", "15", "--max-length", "64"));
        assertTrue(odd.toString().startsWith("error: --window 15: window must be an even number"), odd.toString());
    }
}
