package io.encoder4j.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code import}, {@code export} and {@code logits} from the command line, on the transformers RoBERTa fixture. */
class InteropCommandsTest {

    /** The fixture made by transformers (models/src/test/resources/hf/make_fixtures.py); tests run in training/. */
    private static final Path FIXTURE = Path.of("../models/src/test/resources/hf/roberta-tiny");

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void importExportAndLogitsReproduceTransformers() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode expected = json.readTree(FIXTURE.resolve("expected.json").toFile());
        Path ids = tmp.resolve("ids.json");
        Files.writeString(ids, expected.get("input_ids").toString());
        Path mask = tmp.resolve("mask.json");
        Files.writeString(mask, expected.get("attention_mask").toString());

        Path ours = tmp.resolve("ours");
        assertEquals(0, run("import", FIXTURE.toString(), ours.toString()), err.toString());
        Path hf = tmp.resolve("hf");
        assertEquals(0, run("export", ours.toString(), hf.toString()), err.toString());
        assertTrue(out.toString().contains("RobertaForMaskedLM"), out.toString());
        assertEquals(0, run("export", ours.toString(), tmp.resolve("djl").toString(), "--format", "djl"),
                err.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("djl/model-0000.params")));

        // The exported directory, read as a transformers checkpoint, gives transformers' logits.
        Path logits = tmp.resolve("logits.json");
        assertEquals(0, run("logits", hf.toString(), ids.toString(), "--attention-mask", mask.toString(), "--out",
                logits.toString()), err.toString());
        JsonNode ourLogits = json.readTree(logits.toFile()).get("logits");
        JsonNode theirs = expected.get("logits");
        double max = 0;
        for (int b = 0; b < theirs.size(); b++) {
            for (int n = 0; n < theirs.get(b).size(); n++) {
                for (int v = 0; v < theirs.get(b).get(n).size(); v++) {
                    max = Math.max(max, Math.abs(theirs.get(b).get(n).get(v).asDouble()
                            - ourLogits.get(b).get(n).get(v).asDouble()));
                }
            }
        }
        assertTrue(max < 1e-4, "max logit difference " + max);

        // Hidden states of our own directory, to standard output; ragged rows are padded.
        Path ragged = tmp.resolve("ragged.json");
        Files.writeString(ragged, "[[0, 17, 4, 2], [0, 8, 2]]");
        out.getBuffer().setLength(0);
        assertEquals(0, run("logits", ours.toString(), ragged.toString(), "--head", "hidden"), err.toString());
        JsonNode hidden = json.readTree(out.toString()).get("last_hidden_state");
        assertEquals(2, hidden.size());
        assertEquals(4, hidden.get(1).size());
        assertEquals(32, hidden.get(1).get(3).size());
    }

    /** The largest absolute difference between two nested JSON arrays of numbers of the same shape. */
    private static double maxDifference(JsonNode a, JsonNode b) {
        if (!a.isArray()) {
            return Math.abs(a.asDouble() - b.asDouble());
        }
        assertEquals(a.size(), b.size());
        double max = 0;
        for (int i = 0; i < a.size(); i++) {
            max = Math.max(max, maxDifference(a.get(i), b.get(i)));
        }
        return max;
    }

    /**
     * A transformers question-answering checkpoint and a classification one: imported and exported, their outputs
     * from {@code logits} (the model's own head by default) are transformers' start and end logits and class logits.
     */
    @Test
    void taskHeadsThroughTheCommandLine() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Path qa = Path.of("../models/src/test/resources/hf/longformer-qa-tiny");
        JsonNode expected = json.readTree(qa.resolve("expected.json").toFile());
        Path ids = tmp.resolve("ids.json");
        Files.writeString(ids, expected.get("input_ids").toString());
        Path mask = tmp.resolve("mask.json");
        Files.writeString(mask, expected.get("attention_mask").toString());
        Path ours = tmp.resolve("ours");
        assertEquals(0, run("import", qa.toString(), ours.toString()), err.toString());
        assertTrue(out.toString().contains("imported LongformerForQuestionAnswering"), out.toString());
        Path hf = tmp.resolve("hf");
        assertEquals(0, run("export", ours.toString(), hf.toString()), err.toString());
        assertTrue(out.toString().contains("as LongformerForQuestionAnswering"), out.toString());
        Path result = tmp.resolve("qa.json");
        // No global-attention mask: the question gets it, as in LongformerForQuestionAnswering.
        assertEquals(0, run("logits", hf.toString(), ids.toString(), "--attention-mask", mask.toString(), "--out",
                result.toString()), err.toString());
        JsonNode logits = json.readTree(result.toFile());
        for (String key : new String[] {"start_logits", "end_logits"}) {
            // Real positions, as TransformersFamiliesTest compares Longformer.
            for (int b = 0; b < logits.get(key).size(); b++) {
                for (int n = 0; n < logits.get(key).get(b).size(); n++) {
                    if (expected.get("attention_mask").get(b).get(n).asInt() == 1) {
                        double d = Math.abs(logits.get(key).get(b).get(n).asDouble()
                                - expected.get(key).get(b).get(n).asDouble());
                        assertTrue(d < 1e-4, key + " " + b + "," + n + ": " + d);
                    }
                }
            }
        }

        Path cls = Path.of("../models/src/test/resources/hf/roberta-cls-tiny");
        JsonNode clsExpected = json.readTree(cls.resolve("expected.json").toFile());
        Files.writeString(ids, clsExpected.get("input_ids").toString());
        Files.writeString(mask, clsExpected.get("attention_mask").toString());
        out.getBuffer().setLength(0);
        assertEquals(0, run("logits", cls.toString(), ids.toString(), "--attention-mask", mask.toString(), "--head",
                "cls"), err.toString());
        double d = maxDifference(json.readTree(out.toString()).get("logits"), clsExpected.get("logits"));
        assertTrue(d < 1e-4, "max logit difference " + d);

        err.getBuffer().setLength(0);
        assertEquals(2, run("logits", cls.toString(), ids.toString(), "--head", "qa"));
        assertTrue(err.toString().contains("this is a sequence_classification model"), err.toString());
    }

    @Test
    void badInputIsOneLineAndWritesNothing() throws Exception {
        Path out1 = tmp.resolve("out1");
        assertEquals(2, run("import", tmp.toString(), out1.toString()));
        assertTrue(err.toString().startsWith("error: ") && err.toString().contains("config.json: not found"),
                err.toString());
        assertFalse(Files.exists(out1));

        err.getBuffer().setLength(0);
        Path ids = tmp.resolve("ids.json");
        Files.writeString(ids, "[[0, 17, 4, 2]]");
        assertEquals(2, run("logits", FIXTURE.toString(), ids.toString(), "--head", "cls"));
        assertTrue(err.toString().contains("--head cls"), err.toString());

        err.getBuffer().setLength(0);
        Files.writeString(ids, "[[0, 17, 400, 2]]");
        assertEquals(2, run("logits", FIXTURE.toString(), ids.toString()));
        assertTrue(err.toString().contains("id 400 is outside the vocabulary of 100"), err.toString());

        err.getBuffer().setLength(0);
        assertEquals(2, run("export", FIXTURE.toString(), tmp.resolve("out2").toString()));
        assertTrue(err.toString().contains("not an encoder4j model directory"), err.toString());
        assertFalse(Files.exists(tmp.resolve("out2")));
    }
}
