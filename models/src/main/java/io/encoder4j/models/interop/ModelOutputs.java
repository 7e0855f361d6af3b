package io.encoder4j.models.interop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.models.MaskedLmHead;
import io.encoder4j.models.MaskedLmModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a model in evaluation mode on a batch of token ids and returns a head's outputs as nested arrays, so that
 * encoder4j can be compared number for number with another implementation ({@code bin/encoder4j logits}).
 *
 * <p>Heads: {@code mlm} gives {@code logits} (B, N, V) at every position; {@code hidden} gives
 * {@code last_hidden_state} (B, N, E). Classification ({@code cls}) and question answering ({@code qa}) heads add
 * one case each to {@link #run} once the models have them.
 */
public final class ModelOutputs {

    /** The heads {@code logits} knows, in the order of the issue. */
    public static final List<String> HEADS = List.of("mlm", "cls", "qa", "hidden");

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);

    private ModelOutputs() {}

    /**
     * A batch read from JSON.
     *
     * @param ids (B, N), ragged rows padded with the model's padding id
     * @param attentionMask (B, N) 1 at given positions; from the file when one is given
     * @param globalAttentionMask (B, N) or {@code null}
     */
    public record Batch(long[][] ids, long[][] attentionMask, long[][] globalAttentionMask) {}

    /**
     * Reads the ids (a JSON array of arrays of integers) and the optional masks (same shape). Rows of different
     * lengths are padded on the right with {@code padId}, masked as padding; without a mask file every given
     * position is attended, as transformers does when no {@code attention_mask} is passed.
     */
    public static Batch readBatch(Path idsFile, Path maskFile, Path globalFile, int padId) throws IOException {
        long[][] ids = readMatrix(idsFile, "ids", null);
        int n = 0;
        for (long[] row : ids) {
            n = Math.max(n, row.length);
        }
        long[][] padded = new long[ids.length][n];
        long[][] mask = new long[ids.length][n];
        for (int b = 0; b < ids.length; b++) {
            java.util.Arrays.fill(padded[b], padId);
            System.arraycopy(ids[b], 0, padded[b], 0, ids[b].length);
            java.util.Arrays.fill(mask[b], 0, ids[b].length, 1);
        }
        if (maskFile != null) {
            mask = readMatrix(maskFile, "attention mask", ids);
            mask = padTo(mask, n);
        }
        long[][] global = globalFile == null ? null : padTo(readMatrix(globalFile, "global attention mask", ids), n);
        return new Batch(padded, mask, global);
    }

    private static long[][] padTo(long[][] m, int n) {
        long[][] out = new long[m.length][n];
        for (int b = 0; b < m.length; b++) {
            System.arraycopy(m[b], 0, out[b], 0, m[b].length);
        }
        return out;
    }

    /** A JSON array of arrays of integers; with {@code like}, rows must have the same lengths as its rows. */
    private static long[][] readMatrix(Path file, String what, long[][] like) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": not found");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw new ConfigException(file + ": the " + what + " must be a non-empty JSON array of arrays of integers");
        }
        if (like != null && root.size() != like.length) {
            throw new ConfigException(file + ": the " + what + " has " + root.size() + " rows, the ids have "
                    + like.length);
        }
        long[][] out = new long[root.size()][];
        for (int b = 0; b < root.size(); b++) {
            JsonNode row = root.get(b);
            if (!row.isArray() || row.isEmpty()) {
                throw new ConfigException(file + ": row " + b + " of the " + what + " is not a non-empty array");
            }
            if (like != null && row.size() != like[b].length) {
                throw new ConfigException(file + ": row " + b + " of the " + what + " has " + row.size()
                        + " values, the ids row has " + like[b].length);
            }
            out[b] = new long[row.size()];
            for (int i = 0; i < row.size(); i++) {
                if (!row.get(i).isIntegralNumber()) {
                    throw new ConfigException(file + ": row " + b + ", position " + i + " of the " + what
                            + " is not an integer: " + row.get(i));
                }
                out[b][i] = row.get(i).asLong();
            }
        }
        return out;
    }

    /**
     * Runs {@code head} on the batch and returns the JSON object the {@code logits} command writes.
     *
     * @throws ConfigException for ids outside the vocabulary, a batch longer than the model's maximum, or a head
     *     the model does not have
     */
    public static Map<String, Object> run(MaskedLmModel model, Batch batch, String head) {
        int b = batch.ids().length;
        int n = batch.ids()[0].length;
        int vocab = model.config().vocabSize();
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < n; j++) {
                long id = batch.ids()[i][j];
                if (id < 0 || id >= vocab) {
                    throw new ConfigException("ids: row " + i + ", position " + j + ": id " + id
                            + " is outside the vocabulary of " + vocab);
                }
            }
        }
        if (n > model.config().maxSequenceLength()) {
            throw new ConfigException("ids: sequences of " + n + " tokens exceed the model's maximum of "
                    + model.config().maxSequenceLength());
        }
        NDManager parent = model.getParameters().get(0).getValue().getArray().getManager();
        try (NDManager m = parent.newSubManager()) {
            NDArray ids = m.create(flatten(batch.ids()), new Shape(b, n));
            NDArray mask = m.create(flatten(batch.attentionMask()), new Shape(b, n));
            NDArray global = batch.globalAttentionMask() == null ? null
                    : m.create(flatten(batch.globalAttentionMask()), new Shape(b, n));
            ParameterStore ps = new ParameterStore(m, false);
            Map<String, Object> out = new LinkedHashMap<>();
            switch (head) {
                case "hidden" -> {
                    NDArray hidden = model.encoder().encode(ps, ids, mask, global, false);
                    out.put("last_hidden_state", nested(hidden));
                }
                case "mlm" -> {
                    NDArray hidden = model.encoder().encode(ps, ids, mask, global, false);
                    long e = hidden.getShape().get(2);
                    NDArray logits = maskedLmHead(model).logits(ps, hidden.reshape(b * (long) n, e), false);
                    out.put("logits", nested(logits.reshape(b, n, vocab)));
                }
                case "cls", "qa" -> throw new ConfigException("--head " + head + ": this model has no "
                        + (head.equals("cls") ? "classification" : "question-answering") + " head (masked-LM "
                        + "models give mlm and hidden)");
                default -> throw new ConfigException("--head " + head + " is not one of " + String.join(", ", HEADS));
            }
            return out;
        }
    }

    /** The masked-LM head child of the model. */
    static MaskedLmHead maskedLmHead(MaskedLmModel model) {
        for (Pair<String, Block> child : model.getChildren()) {
            if (child.getValue() instanceof MaskedLmHead head) {
                return head;
            }
        }
        throw new IllegalStateException("model has no masked-LM head");
    }

    private static long[] flatten(long[][] rows) {
        int n = rows[0].length;
        long[] out = new long[rows.length * n];
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(rows[b], 0, out, b * n, n);
        }
        return out;
    }

    /** (B, N, X) float array to nested float arrays. */
    static float[][][] nested(NDArray x) {
        long[] s = x.getShape().getShape();
        float[] flat = x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        int b = (int) s[0];
        int n = (int) s[1];
        int d = (int) s[2];
        float[][][] out = new float[b][n][d];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < n; j++) {
                System.arraycopy(flat, (i * n + j) * d, out[i][j], 0, d);
            }
        }
        return out;
    }

    /** Writes the outputs as JSON (floats in their shortest exact decimal form). */
    public static void write(Map<String, Object> outputs, java.io.Writer out) throws IOException {
        JSON.writeValue(out, outputs);
    }
}
