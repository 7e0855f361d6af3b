package io.encoder4j.models.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.models.TaskModel;
import java.nio.file.Path;
import java.util.Map;

/**
 * A checkpoint made by transformers ({@code src/test/resources/hf/make_fixtures.py}) with the batch and the outputs
 * transformers computed for it in evaluation mode.
 */
final class HfFixture {

    final Path dir;
    final JsonNode expected;

    HfFixture(String name) throws Exception {
        this.dir = SafetensorsTest.resource(name);
        this.expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
    }

    long[][] matrix(String key) {
        JsonNode rows = expected.get(key);
        long[][] out = new long[rows.size()][];
        for (int b = 0; b < rows.size(); b++) {
            out[b] = new long[rows.get(b).size()];
            for (int i = 0; i < out[b].length; i++) {
                out[b][i] = rows.get(b).get(i).asLong();
            }
        }
        return out;
    }

    ModelOutputs.Batch batch() {
        return new ModelOutputs.Batch(matrix("input_ids"), matrix("attention_mask"),
                expected.has("global_attention_mask") ? matrix("global_attention_mask") : null);
    }

    /**
     * The largest absolute difference between our output {@code key} and transformers', over the positions where
     * {@code where} is non-zero (every position when {@code null}). Outputs are (B, N, X) (hidden states, masked-LM
     * and token logits), (B, N) (start and end logits) or (B, L) (classification logits, where {@code where} must be
     * {@code null}).
     */
    double maxAbsDifference(Map<String, Object> ours, String key, long[][] where) {
        return maxAbsDifference(ours.get(key), expected.get(key), where);
    }

    static double maxAbsDifference(Object ours, JsonNode reference, long[][] where) {
        JsonNode actual = new ObjectMapper().valueToTree(ours);
        assertEquals(reference.size(), actual.size());
        double max = 0;
        for (int b = 0; b < actual.size(); b++) {
            assertEquals(reference.get(b).size(), actual.get(b).size());
            for (int n = 0; n < actual.get(b).size(); n++) {
                if (where != null && where[b][n] == 0) {
                    continue;
                }
                JsonNode theirs = reference.get(b).get(n);
                JsonNode mine = actual.get(b).get(n);
                if (theirs.isArray()) {
                    assertEquals(theirs.size(), mine.size());
                    for (int v = 0; v < theirs.size(); v++) {
                        max = Math.max(max, Math.abs(theirs.get(v).asDouble() - mine.get(v).floatValue()));
                    }
                } else {
                    max = Math.max(max, Math.abs(theirs.asDouble() - mine.floatValue()));
                }
            }
        }
        return max;
    }

    /** Imports the fixture and runs head {@code head} on its batch. */
    Map<String, Object> run(NDManager manager, String head) throws Exception {
        TaskModel model = HfImporter.load(dir, manager).model();
        return ModelOutputs.run(model, batch(), head);
    }
}
