package io.encoder4j.models.interop;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name transformers gives each parameter of an encoder4j model, found by walking the block tree (child names
 * without DJL's index prefixes, so {@code encoder/layer0/attention/query} + {@code weight}) rather than by parsing
 * DJL's flattened names, which are ambiguous ({@code attention_norm_gamma}).
 *
 * <p>Layouts need no transposition: DJL's {@code Linear} stores (out, in) like {@code torch.nn.Linear}, embeddings
 * are (rows, E) in both, and the Nyströmformer convolution is (H, 1, k, 1) in both. Only the position table is
 * shifted by rows ({@link HfFamily#positionOffset}). The tied masked-LM decoder is not a tensor of its own: as
 * {@code save_pretrained} does, it is left out, and transformers ties it to the word embeddings when it loads.
 */
public final class HfWeightNames {

    private static final Pattern LAYER = Pattern.compile("layer(\\d+)");

    private HfWeightNames() {}

    /** What a tensor of the checkpoint is to our model. */
    public enum Kind {
        /** Copied as is. */
        PLAIN,
        /** Our position table: the checkpoint's rows shifted (see {@link HfFamily#positionOffset}). */
        POSITIONS,
        /** The token-type table: {@code type_vocab_size} rows in both. */
        TOKEN_TYPE
    }

    /**
     * One parameter of our model and its transformers name.
     *
     * @param ours the block path and parameter name, {@code encoder.layer0.attention.query.weight}
     */
    public record Mapped(String ours, String hfName, Kind kind, Parameter parameter) {

        /** Whether the parameter belongs to the encoder rather than to the head. */
        public boolean inEncoder() {
            return ours.startsWith("encoder.");
        }
    }

    /**
     * Every parameter of {@code model}, in DJL's order, with its name in {@code family}'s class for the model's head:
     * the encoder under the family's prefix, and the head under the names every family's task classes share
     * ({@code lm_head.*} or {@code cls.predictions.*}, {@code classifier.dense/out_proj.*}, {@code qa_outputs.*},
     * {@code classifier.*}), or BigBird's question-answering head ({@code qa_classifier.*}).
     */
    public static List<Mapped> of(Block model, HfFamily family) {
        List<Mapped> out = new ArrayList<>();
        walk(model, new ArrayList<>(), family, out);
        Set<String> seen = new HashSet<>();
        for (Mapped m : out) {
            if (!seen.add(m.hfName())) {
                throw new IllegalStateException("two parameters map to '" + m.hfName() + "'");
            }
        }
        return out;
    }

    private static void walk(Block block, List<String> path, HfFamily family, List<Mapped> out) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            List<String> full = new ArrayList<>(path);
            String ours = String.join(".", full) + "." + p.getKey();
            String name = hfName(full, p.getKey(), family);
            Kind kind = p.getKey().equals("position_embeddings") ? Kind.POSITIONS
                    : p.getKey().equals("token_type_embeddings") ? Kind.TOKEN_TYPE : Kind.PLAIN;
            out.add(new Mapped(ours, name, kind, p.getValue()));
        }
        for (Pair<String, Block> child : block.getChildren()) {
            List<String> next = new ArrayList<>(path);
            // DJL prefixes child names with their index: "03layer0".
            next.add(child.getKey().replaceFirst("^\\d{2}", ""));
            walk(child.getValue(), next, family, out);
        }
    }

    /** LayerNorm's gamma and beta are transformers' weight and bias; Linear's names are the same. */
    private static String tensor(String param) {
        return switch (param) {
            case "gamma" -> "weight";
            case "beta" -> "bias";
            default -> param;
        };
    }

    static String hfName(List<String> path, String param, HfFamily family) {
        String base = family.prefix();
        String where = String.join(".", path) + "." + param;
        if (path.isEmpty()) {
            throw new IllegalStateException("no transformers name for " + where);
        }
        switch (path.get(0)) {
            case "encoder" -> {
                return base + "." + encoderName(path.subList(1, path.size()), param, family, where);
            }
            case "lm_head" -> {
                String head = family.robertaHead() ? "lm_head" : "cls.predictions";
                if (path.size() == 1 && param.equals("bias")) {
                    return head + ".bias";
                }
                if (path.size() == 2 && path.get(1).equals("dense")) {
                    return head + (family.robertaHead() ? "" : ".transform") + ".dense." + tensor(param);
                }
                if (path.size() == 2 && path.get(1).equals("norm")) {
                    return head + (family.robertaHead() ? ".layer_norm." : ".transform.LayerNorm.") + tensor(param);
                }
                throw new IllegalStateException("no transformers name for " + where);
            }
            case "classifier" -> {
                // Sequence classification: RobertaClassificationHead's dense and out_proj (the same names in every
                // family's *ForSequenceClassification); token classification: one Linear named classifier.
                if (path.size() == 2 && (path.get(1).equals("dense") || path.get(1).equals("out_proj"))) {
                    return "classifier." + path.get(1) + "." + tensor(param);
                }
                if (path.size() == 1) {
                    return "classifier." + tensor(param);
                }
                throw new IllegalStateException("no transformers name for " + where);
            }
            case "qa_outputs" -> {
                if (path.size() == 1) {
                    return "qa_outputs." + tensor(param);
                }
                throw new IllegalStateException("no transformers name for " + where);
            }
            case "qa_classifier" -> {
                // BigBirdForQuestionAnsweringHead: intermediate.dense, output.dense, output.LayerNorm, qa_outputs.
                if (path.size() == 2) {
                    switch (path.get(1)) {
                        case "intermediate" -> {
                            return "qa_classifier.intermediate.dense." + tensor(param);
                        }
                        case "output" -> {
                            return "qa_classifier.output.dense." + tensor(param);
                        }
                        case "norm" -> {
                            return "qa_classifier.output.LayerNorm." + tensor(param);
                        }
                        case "qa_outputs" -> {
                            return "qa_classifier.qa_outputs." + tensor(param);
                        }
                        default -> { }
                    }
                }
                throw new IllegalStateException("no transformers name for " + where);
            }
            default -> throw new IllegalStateException("no transformers name for " + where);
        }
    }

    private static String encoderName(List<String> path, String param, HfFamily family, String where) {
        if (path.isEmpty()) {
            throw new IllegalStateException("no transformers name for " + where);
        }
        String first = path.get(0);
        if (first.equals("embeddings")) {
            if (path.size() == 1) {
                return "embeddings." + param + ".weight";
            }
            if (path.size() == 2 && path.get(1).equals("norm")) {
                return "embeddings.LayerNorm." + tensor(param);
            }
            if (path.size() == 2 && path.get(1).equals("axial_positions")) {
                // Reformer's factorised table (encoder4j layout only): rows and columns.
                return "embeddings.axial_positions." + param;
            }
        }
        if (first.equals("final_norm") && path.size() == 1) {
            // Pre-LN stacks only, which no transformers class has: encoder4j's own layout.
            return "encoder.final_norm." + tensor(param);
        }
        Matcher m = LAYER.matcher(first);
        if (m.matches() && path.size() >= 2) {
            String layer = "encoder.layer." + m.group(1) + ".";
            List<String> rest = path.subList(1, path.size());
            switch (rest.get(0)) {
                case "attention" -> {
                    return layer + "attention." + attentionName(rest.subList(1, rest.size()), param);
                }
                case "attention_norm" -> {
                    return layer + "attention.output.LayerNorm." + tensor(param);
                }
                case "feed_forward" -> {
                    if (rest.size() == 2 && rest.get(1).equals("intermediate")) {
                        return layer + "intermediate.dense." + tensor(param);
                    }
                    if (rest.size() == 2 && rest.get(1).equals("output")) {
                        return layer + "output.dense." + tensor(param);
                    }
                }
                case "output_norm" -> {
                    return layer + "output.LayerNorm." + tensor(param);
                }
                default -> { }
            }
        }
        throw new IllegalStateException("no transformers name for " + where);
    }

    /**
     * Inside {@code attention}: the output projection is {@code output.dense}; everything else lives under
     * {@code self} by its own name, which gives transformers' names for RoBERTa's query/key/value, Longformer's
     * query_global/key_global/value_global and Nyströmformer's conv, and a readable name for the parameters of the
     * other mechanisms (encoder4j layout).
     */
    private static String attentionName(List<String> path, String param) {
        if (path.size() == 1 && path.get(0).equals("output")) {
            return "output.dense." + tensor(param);
        }
        if (path.isEmpty()) {
            // A parameter of the mechanism itself (Nyströmformer's depthwise convolution is "conv" in both).
            return "self." + param + (param.equals("conv") ? ".weight" : "");
        }
        return "self." + String.join(".", path) + "." + tensor(param);
    }
}
