package io.encoder4j.models.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Longformer (with global tokens and per-layer windows), Nyströmformer and BigBird ({@code original_full})
 * checkpoints created by transformers ({@code hf/<family>-tiny}, see make_fixtures.py): imported here, they give
 * transformers' logits at every real position, and import then export gives back every tensor bit for bit under
 * the same names.
 */
class TransformersFamiliesTest {

    private static NDManager manager;

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

    @ParameterizedTest
    @CsvSource({"longformer-tiny, LONGFORMER", "big_bird-tiny, BIG_BIRD"})
    void importedCheckpointComputesTransformersLogits(String name, HfFamily family) throws Exception {
        HfFixture fixture = new HfFixture(name);
        HfImporter.Imported imported = HfImporter.load(fixture.dir, manager);
        assertEquals(family, imported.family());
        ModelOutputs.Batch batch = fixture.batch();
        long[][] real = batch.attentionMask();
        double logits = fixture.maxAbsDifference(ModelOutputs.run(imported.model(), batch, "mlm"), "logits", real);
        double hidden = fixture.maxAbsDifference(ModelOutputs.run(imported.model(), batch, "hidden"),
                "last_hidden_state", real);
        System.out.printf("%s: max |logit difference| %.3g, max |hidden difference| %.3g (real positions)%n", name,
                logits, hidden);
        assertTrue(logits < RobertaInteropTest.TOLERANCE, name + ": max logit difference " + logits);
        assertTrue(hidden < RobertaInteropTest.TOLERANCE, name + ": max hidden difference " + hidden);
    }

    /**
     * Nyströmformer: transformers starts the pseudo-inverse iteration from one scale for the whole batch and every
     * head; imported models get {@code pinv_init: batch}, the same start, and compute what transformers computes.
     */
    @org.junit.jupiter.api.Test
    void nystromformerEqualsTransformers() throws Exception {
        HfFixture fixture = new HfFixture("nystromformer-tiny");
        HfImporter.Imported imported = HfImporter.load(fixture.dir, manager);
        assertEquals(HfFamily.NYSTROMFORMER, imported.family());
        assertEquals("batch", imported.model().config().attentionOf(0).pinvInit());
        ModelOutputs.Batch batch = fixture.batch();
        Map<String, Object> mlm = ModelOutputs.run(imported.model(), batch, "mlm");
        Map<String, Object> hidden = ModelOutputs.run(imported.model(), batch, "hidden");
        double logits = fixture.maxAbsDifference(mlm, "logits", null);
        double states = fixture.maxAbsDifference(hidden, "last_hidden_state", null);
        System.out.printf("nystromformer-tiny: max |logit difference| %.3g (hidden %.3g)%n", logits, states);
        assertTrue(logits < RobertaInteropTest.TOLERANCE, "max logit difference " + logits);
        assertTrue(states < RobertaInteropTest.TOLERANCE, "max hidden difference " + states);
    }

    @ParameterizedTest
    @CsvSource({"longformer-tiny, LONGFORMER", "nystromformer-tiny, NYSTROMFORMER", "big_bird-tiny, BIG_BIRD"})
    void importThenExportRoundTripsEveryTensorBitForBit(String name, HfFamily family) throws Exception {
        HfFixture fixture = new HfFixture(name);
        Path ours = tmp.resolve("ours");
        HfImporter.importTo(fixture.dir, ours);
        Path hf = tmp.resolve("hf");
        assertEquals(family, HfExporter.export(ours, hf));
        Map<String, Safetensors.Tensor> original = Safetensors.read(fixture.dir.resolve("model.safetensors"))
                .tensors();
        Map<String, Safetensors.Tensor> exported = Safetensors.read(hf.resolve("model.safetensors")).tensors();
        TreeSet<String> expectedNames = new TreeSet<>(original.keySet());
        // BigBirdForMaskedLM saves a pooler that no masked-LM output uses; it is not imported (transformers
        // initialises it afresh when it loads the export).
        expectedNames.removeIf(n -> n.startsWith("bert.pooler."));
        assertEquals(expectedNames, new TreeSet<>(exported.keySet()));
        for (String n : expectedNames) {
            assertArrayEquals(original.get(n).shape(), exported.get(n).shape(), n);
            assertEquals(original.get(n).data(), exported.get(n).data(), n);
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode source = json.readTree(fixture.dir.resolve("config.json").toFile());
        JsonNode config = json.readTree(hf.resolve("config.json").toFile());
        for (String key : new String[] {"model_type", "architectures", "vocab_size", "hidden_size",
                "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
                "max_position_embeddings", "type_vocab_size", "pad_token_id", "bos_token_id", "eos_token_id",
                "attention_window", "num_landmarks", "segment_means_seq_len", "conv_kernel_size",
                "attention_type"}) {
            assertEquals(source.get(key), config.get(key), name + " " + key);
        }
    }
}
