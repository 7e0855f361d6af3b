package io.encoder4j.models.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.models.HeadConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The task-head half of a transformers checkpoint: which class ({@code architectures}) a {@link HeadConfig} is in each
 * family, whether that class computes what encoder4j's head computes, and the config.json keys transformers reads
 * for the head ({@code id2label}/{@code label2id}, {@code num_labels}, {@code problem_type}, {@code classifier_dropout},
 * {@code sep_token_id}), both ways.
 *
 * <p>Every family's task classes use the same head names as RoBERTa's ({@code classifier.dense},
 * {@code classifier.out_proj}, {@code qa_outputs}, {@code classifier}). Two heads compute something else, read in
 * transformers' {@code modeling_*.py}, and encoder4j's heads do either:
 * <ul>
 *   <li>BigBird's and Nyströmformer's classification heads apply the encoder's {@code hidden_act} after
 *       {@code dense} where RoBERTa's and Longformer's apply tanh ({@code classifier_activation}).</li>
 *   <li>{@code BigBirdForQuestionAnswering} puts a feed-forward block with its own LayerNorm before
 *       {@code qa_outputs} (all under {@code qa_classifier.*}), gives the context token type 1 and subtracts 1e6 from
 *       the question's logits; the other families' question answering is one {@code qa_outputs} layer
 *       ({@code qa_head: bigbird} or {@code linear}).</li>
 * </ul>
 */
public final class HfHeadMapping {

    /** The class-name suffix of the masked-LM classes. */
    public static final String MASKED_LM_SUFFIX = "ForMaskedLM";

    /** The config.json key under which the {@code encoder4j} layout records the whole head config. */
    public static final String ENCODER4J_HEAD_FIELD = "encoder4j_head";

    /** Head type to class-name suffix, in the order of {@link HeadConfig#TYPES}. */
    private static final Map<String, String> SUFFIXES = new LinkedHashMap<>();

    static {
        SUFFIXES.put(HeadConfig.MASKED_LM, MASKED_LM_SUFFIX);
        SUFFIXES.put(HeadConfig.SEQUENCE_CLASSIFICATION, "ForSequenceClassification");
        SUFFIXES.put(HeadConfig.QUESTION_ANSWERING, "ForQuestionAnswering");
        SUFFIXES.put(HeadConfig.TOKEN_CLASSIFICATION, "ForTokenClassification");
    }

    /** {@code BigBirdConfig}'s default {@code sep_token_id} ({@code [SEP]} of google/bigbird-roberta-base). */
    static final int BIG_BIRD_SEP_TOKEN_ID = 66;

    private static final ObjectMapper JSON = new ObjectMapper();

    private HfHeadMapping() {}

    /** {@code ForMaskedLM}, {@code ForSequenceClassification}, ... for a head type. */
    public static String suffix(String headType) {
        String s = SUFFIXES.get(headType);
        if (s == null) {
            throw new IllegalArgumentException("unknown head type " + headType);
        }
        return s;
    }

    /**
     * Why {@code family}'s class for {@code head} computes something else than encoder4j's head, or {@code null} when
     * it computes the same.
     */
    public static String mismatch(HfFamily family, HeadConfig head) {
        if (family == HfFamily.ENCODER4J) {
            return null;
        }
        boolean geluHead = family == HfFamily.BIG_BIRD || family == HfFamily.NYSTROMFORMER;
        return switch (head.type()) {
            case HeadConfig.SEQUENCE_CLASSIFICATION -> geluHead == HeadConfig.GELU.equals(head.classifierActivation())
                    ? null
                    : family.className(head.type()) + "'s classification head applies "
                            + (geluHead ? "hidden_act (GELU)" : "tanh") + " after its dense layer, and this model's "
                            + "classifier_activation is " + head.classifierActivation();
            case HeadConfig.QUESTION_ANSWERING -> (family == HfFamily.BIG_BIRD) == head.isBigBirdQa() ? null
                    : family == HfFamily.BIG_BIRD
                    ? "BigBirdForQuestionAnswering's head (BigBirdForQuestionAnsweringHead) adds a feed-forward block "
                            + "with its own LayerNorm before qa_outputs, gives the context token type 1 and subtracts "
                            + "1e6 from the question's logits, and this model's qa_head is " + head.qaHead()
                    : family.className(head.type()) + "'s head is one qa_outputs layer, and this model's qa_head is "
                            + head.qaHead();
            default -> null;
        };
    }

    // ---- config.json to HeadConfig ----

    /**
     * The head a checkpoint's config.json describes. The class is {@code architectures[0]}; without
     * {@code architectures}, it is inferred from the head tensors present ({@code classifier.out_proj.weight},
     * {@code qa_outputs.weight} or BigBird's {@code qa_classifier.qa_outputs.weight}, {@code classifier.weight}, else
     * masked LM).
     *
     * @param tensorNames the names of the checkpoint's tensors
     * @throws ConfigException naming the file and key for a class encoder4j has no head for, or inconsistent labels
     */
    public static HeadConfig fromHf(JsonNode c, Path file, HfFamily family, Collection<String> tensorNames) {
        String type = headType(c, file, family, tensorNames);
        if (family == HfFamily.ENCODER4J && c.path(ENCODER4J_HEAD_FIELD).isObject()) {
            HeadConfig head;
            try {
                head = ConfigLoader.mapper().convertValue(c.get(ENCODER4J_HEAD_FIELD), HeadConfig.class);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": " + ENCODER4J_HEAD_FIELD + ": "
                        + HfConfigMapping.rootMessage(e), e);
            }
            if (!head.type().equals(type)) {
                throw new ConfigException(file + ": " + ENCODER4J_HEAD_FIELD + ".type '" + head.type()
                        + "' does not match architectures '" + family.className(type) + "'");
            }
            return head;
        }
        try {
            return switch (type) {
                case HeadConfig.MASKED_LM -> HeadConfig.maskedLm();
                case HeadConfig.QUESTION_ANSWERING -> {
                    int labels = numLabels(c, file, 2);
                    if (labels != 2) {
                        throw new ConfigException(file + ": num_labels / id2label: " + family.className(type)
                                + " has 2 outputs (start and end), the config gives " + labels);
                    }
                    Integer sep = intOrNull(c, "sep_token_id", file);
                    if (family == HfFamily.BIG_BIRD) {
                        // BigBirdForQuestionAnswering: its own head, and BigBirdConfig's default separator [SEP].
                        yield new HeadConfig(type, null, null, null, null, sep == null ? BIG_BIRD_SEP_TOKEN_ID : sep,
                                null, HeadConfig.QA_BIGBIRD);
                    }
                    yield new HeadConfig(type, null, null, null, null, sep, null);
                }
                case HeadConfig.SEQUENCE_CLASSIFICATION -> {
                    int n = numLabels(c, file, 2);
                    String problem = text(c, "problem_type", file);
                    boolean regression = HeadConfig.REGRESSION.equals(problem) || (problem == null && n == 1);
                    // A regression's outputs have no class names (transformers writes LABEL_0 all the same).
                    List<String> labels = regression ? null : labels(c, file, n);
                    String activation = family == HfFamily.BIG_BIRD || family == HfFamily.NYSTROMFORMER
                            ? HeadConfig.GELU : HeadConfig.TANH;
                    yield new HeadConfig(type, n, problem, labels, dropout(c, file), null, activation);
                }
                case HeadConfig.TOKEN_CLASSIFICATION -> {
                    int n = numLabels(c, file, 2);
                    yield new HeadConfig(type, n, null, labels(c, file, n), dropout(c, file), null, null);
                }
                default -> throw new IllegalStateException(type);
            };
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    private static String headType(JsonNode c, Path file, HfFamily family, Collection<String> tensorNames) {
        JsonNode architectures = c.get("architectures");
        if (architectures == null || architectures.isNull()
                || (architectures.isArray() && architectures.isEmpty())) {
            if (tensorNames.contains("classifier.out_proj.weight")) {
                return HeadConfig.SEQUENCE_CLASSIFICATION;
            }
            if (tensorNames.contains("qa_outputs.weight") || tensorNames.contains("qa_classifier.qa_outputs.weight")) {
                return HeadConfig.QUESTION_ANSWERING;
            }
            if (tensorNames.contains("classifier.weight")) {
                return HeadConfig.TOKEN_CLASSIFICATION;
            }
            return HeadConfig.MASKED_LM;
        }
        if (!architectures.isArray() || !architectures.get(0).isTextual()) {
            throw new ConfigException(file + ": architectures must be a list of class names, got " + architectures);
        }
        String name = architectures.get(0).asText();
        String supported = String.join(", ", SUFFIXES.values().stream().map(s -> family.classPrefix() + s).toList());
        if (!name.startsWith(family.classPrefix())) {
            throw new ConfigException(file + ": architectures '" + name + "' is not a class of model_type '"
                    + family.modelType() + "' (supported: " + supported + ")");
        }
        for (Map.Entry<String, String> e : SUFFIXES.entrySet()) {
            if (name.equals(family.classPrefix() + e.getValue())) {
                return e.getKey();
            }
        }
        throw new ConfigException(file + ": architectures '" + name + "' is not supported (supported: " + supported
                + "). Its encoder can still start fine-tuning (HfImporter.fromPretrained, docs/interop.md)");
    }

    /**
     * The number of outputs: {@code id2label}'s size, or {@code num_labels}, or transformers' default 2. Both given and
     * different is an error (transformers would silently replace id2label).
     */
    private static int numLabels(JsonNode c, Path file, int fallback) {
        JsonNode id2label = c.get("id2label");
        JsonNode num = c.get("num_labels");
        Integer fromNum = null;
        if (num != null && !num.isNull()) {
            if (!num.isIntegralNumber() || num.asInt() < 1) {
                throw new ConfigException(file + ": num_labels must be a positive integer, got " + num);
            }
            fromNum = num.asInt();
        }
        if (id2label != null && id2label.isObject() && !id2label.isEmpty()) {
            if (fromNum != null && fromNum != id2label.size()) {
                throw new ConfigException(file + ": num_labels is " + fromNum + " but id2label has " + id2label.size()
                        + " entries");
            }
            return id2label.size();
        }
        return fromNum != null ? fromNum : fallback;
    }

    /**
     * The label names in id order from {@code id2label} (keys exactly "0" ... "n-1"), or {@code null} when there are
     * none or they are transformers' defaults {@code LABEL_<i>}.
     */
    private static List<String> labels(JsonNode c, Path file, int n) {
        JsonNode id2label = c.get("id2label");
        if (id2label == null || !id2label.isObject() || id2label.isEmpty()) {
            return null;
        }
        String[] names = new String[n];
        Iterator<Map.Entry<String, JsonNode>> fields = id2label.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            int id;
            try {
                id = Integer.parseInt(f.getKey());
            } catch (NumberFormatException e) {
                throw new ConfigException(file + ": id2label key '" + f.getKey() + "' is not a label id");
            }
            if (id < 0 || id >= n || names[id] != null) {
                throw new ConfigException(file + ": id2label must have the ids 0 to " + (n - 1) + " once each, got '"
                        + f.getKey() + "'");
            }
            if (!f.getValue().isTextual()) {
                throw new ConfigException(file + ": id2label '" + f.getKey() + "' must be a string, got "
                        + f.getValue());
            }
            names[id] = f.getValue().asText();
        }
        boolean defaults = true;
        for (int i = 0; i < n; i++) {
            defaults &= names[i].equals(defaultLabel(i));
        }
        return defaults ? null : List.of(names);
    }

    /** transformers' name of label {@code i} when none is given. */
    static String defaultLabel(int i) {
        return "LABEL_" + i;
    }

    private static Float dropout(JsonNode c, Path file) {
        JsonNode v = c.get("classifier_dropout");
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new ConfigException(file + ": classifier_dropout must be a number, got " + v);
        }
        return v.floatValue();
    }

    private static Integer intOrNull(JsonNode c, String key, Path file) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber()) {
            throw new ConfigException(file + ": " + key + " must be an integer, got " + v);
        }
        return v.asInt();
    }

    private static String text(JsonNode c, String key, Path file) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new ConfigException(file + ": " + key + " must be a string, got " + v);
        }
        return v.asText();
    }

    // ---- HeadConfig to config.json ----

    /**
     * Writes the head's keys into config.json {@code c} of {@code family} ({@code architectures} is the caller's):
     * for the task heads {@code num_labels}, {@code id2label} and {@code label2id} (names, or transformers'
     * {@code LABEL_<i>}), {@code problem_type} (sequence classification), {@code classifier_dropout} and
     * {@code sep_token_id} (question answering). A masked-LM config is left as it is. The {@code encoder4j} layout
     * also records the whole head config, which no transformers key expresses ({@code classifier_activation}).
     */
    public static void toHf(ObjectNode c, HfFamily family, HeadConfig head) {
        c.remove(ENCODER4J_HEAD_FIELD);
        if (family == HfFamily.ENCODER4J) {
            try {
                c.set(ENCODER4J_HEAD_FIELD, JSON.readTree(ConfigLoader.toJson(head)));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
        if (head.isMaskedLm()) {
            return;
        }
        int n = head.numLabels();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add(head.labels() == null ? defaultLabel(i) : head.labels().get(i));
        }
        c.put("num_labels", n);
        ObjectNode id2label = c.putObject("id2label");
        ObjectNode label2id = c.putObject("label2id");
        for (int i = 0; i < n; i++) {
            id2label.put(Integer.toString(i), names.get(i));
            label2id.put(names.get(i), i);
        }
        if (head.type().equals(HeadConfig.SEQUENCE_CLASSIFICATION)) {
            c.put("problem_type", head.problemType());
        } else {
            c.remove("problem_type");
        }
        if (head.classifierDropout() != null) {
            c.put("classifier_dropout", HfConfigMapping.decimal(head.classifierDropout()));
        } else {
            // RoBERTa's and BigBird's heads then use hidden_dropout_prob, as encoder4j's do.
            c.putNull("classifier_dropout");
        }
        if (head.type().equals(HeadConfig.QUESTION_ANSWERING)) {
            c.put("sep_token_id", head.sepTokenId());
        }
    }

}
