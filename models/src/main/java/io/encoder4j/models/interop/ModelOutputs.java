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
import io.encoder4j.models.HeadConfig;
import io.encoder4j.models.MaskedLmHead;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.models.QuestionAnsweringModel;
import io.encoder4j.models.SequenceClassificationModel;
import io.encoder4j.models.TaskModel;
import io.encoder4j.models.TokenClassificationModel;
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
 * <p>Heads, as transformers names the outputs of the matching class:
 * <ul>
 *   <li>{@code mlm} (masked-LM models): {@code logits} (B, N, V) at every position;</li>
 *   <li>{@code cls} (sequence classification): {@code logits} (B, L);</li>
 *   <li>{@code qa} (question answering): {@code start_logits} and {@code end_logits} (B, N);</li>
 *   <li>{@code token} (token classification): {@code logits} (B, N, L);</li>
 *   <li>{@code hidden} (every model): {@code last_hidden_state} (B, N, E).</li>
 * </ul>
 * Without a global-attention mask, the model places its head's global attention itself (Longformer-style models:
 * {@code <s>} for {@code cls}, the question for {@code qa}), as transformers' classes do when given none; a given
 * mask replaces it, also as in transformers.
 */
public final class ModelOutputs {

    /** The heads {@code logits} knows. */
    public static final List<String> HEADS = List.of("mlm", "cls", "qa", "token", "hidden");

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

    /** The {@code --head} that gives a model's own outputs: mlm, cls, qa or token. */
    public static String defaultHead(TaskModel model) {
        return switch (model.head().type()) {
            case HeadConfig.SEQUENCE_CLASSIFICATION -> "cls";
            case HeadConfig.QUESTION_ANSWERING -> "qa";
            case HeadConfig.TOKEN_CLASSIFICATION -> "token";
            default -> "mlm";
        };
    }

    /**
     * Runs {@code head} on the batch and returns the JSON object the {@code logits} command writes.
     *
     * @throws ConfigException for ids outside the vocabulary, a batch longer than the model's maximum, a question
     *     without a separator (where the question gets global attention), or a head the model does not have
     */
    public static Map<String, Object> run(TaskModel model, Batch batch, String head) {
        if (!HEADS.contains(head)) {
            throw new ConfigException("--head " + head + " is not one of " + String.join(", ", HEADS));
        }
        if (!head.equals("hidden") && !head.equals(defaultHead(model))) {
            throw new ConfigException("--head " + head + ": this is a " + model.head().type() + " model; its outputs "
                    + "are --head " + defaultHead(model) + " and --head hidden");
        }
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
            NDArray global = batch.globalAttentionMask() != null
                    ? m.create(flatten(batch.globalAttentionMask()), new Shape(b, n))
                    : automaticGlobalAttention(model, ids, mask);
            ParameterStore ps = new ParameterStore(m, false);
            Map<String, Object> out = new LinkedHashMap<>();
            switch (head) {
                // The head's own token types too (BigBird's question answering gives the context type 1).
                case "hidden" -> out.put("last_hidden_state", nested(model.hidden(ps, ids, mask, global, false)));
                case "mlm" -> {
                    NDArray hidden = model.hidden(ps, ids, mask, global, false);
                    long e = hidden.getShape().get(2);
                    NDArray logits = maskedLmHead((MaskedLmModel) model).logits(ps, hidden.reshape(b * (long) n, e),
                            false);
                    out.put("logits", nested(logits.reshape(b, n, vocab)));
                }
                case "cls" -> out.put("logits", nested2(((SequenceClassificationModel) model).logits(ps, ids, mask,
                        global, false)));
                case "qa" -> {
                    QuestionAnsweringModel.SpanLogits span = ((QuestionAnsweringModel) model).logits(ps, ids, mask,
                            global, false);
                    out.put("start_logits", nested2(span.start()));
                    out.put("end_logits", nested2(span.end()));
                }
                case "token" -> out.put("logits", nested(((TokenClassificationModel) model).logits(ps, ids, mask,
                        global, false)));
                default -> throw new IllegalStateException(head);
            }
            return out;
        }
    }

    /** The head's own global attention (the question needs a separator: a one-line error otherwise). */
    private static NDArray automaticGlobalAttention(TaskModel model, NDArray ids, NDArray mask) {
        try {
            return model.automaticGlobalAttention(ids, mask);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("ids: " + e.getMessage() + " (or give --global-attention-mask)", e);
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

    /** (B, X) float array to nested float arrays. */
    static float[][] nested2(NDArray x) {
        long[] s = x.getShape().getShape();
        float[] flat = x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        int b = (int) s[0];
        int d = (int) s[1];
        float[][] out = new float[b][d];
        for (int i = 0; i < b; i++) {
            System.arraycopy(flat, i * d, out[i], 0, d);
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
