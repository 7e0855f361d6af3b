package io.encoder4j.models.interop;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The Hugging Face {@code transformers} model families that an encoder4j model maps to, with the naming conventions
 * of each one's {@code *ForMaskedLM}, {@code *ForSequenceClassification}, {@code *ForQuestionAnswering} and
 * {@code *ForTokenClassification} classes (read in transformers' {@code modeling_*.py} and checked on what
 * {@code save_pretrained} writes; docs/interop.md lists every name). Which heads a family can carry exactly is
 * {@link HfHeadMapping}'s business.
 *
 * <p>All four share BERT's layer layout ({@code <prefix>.encoder.layer.<i>.attention.self.query}, ...); they differ
 * in the prefix of the base model, in the masked-LM head (RoBERTa's {@code lm_head.*} or BERT's
 * {@code cls.predictions.*}), and in how positions are numbered, which {@link #positionOffset} captures.
 */
public enum HfFamily {
    /** {@code RobertaForMaskedLM}: our own architecture with full attention. */
    ROBERTA("roberta", "roberta", "Roberta", true),
    /** {@code LongformerForMaskedLM}: sliding-window attention with global tokens. */
    LONGFORMER("longformer", "longformer", "Longformer", true),
    /** {@code NystromformerForMaskedLM}: Nyström attention with the depthwise convolution on values. */
    NYSTROMFORMER("nystromformer", "nystromformer", "Nystromformer", false),
    /** {@code BigBirdForMaskedLM}: BERT-style; matched here with {@code attention_type: original_full}. */
    BIG_BIRD("big_bird", "bert", "BigBird", false),
    /**
     * Attention types without a transformers class: RoBERTa's layout and names, plus the mechanism's own parameters
     * under {@code attention.self}, and a {@code config.json} that records the whole encoder4j config. Only encoder4j
     * loads it.
     */
    ENCODER4J("encoder4j", "roberta", "Encoder4j", true);

    private final String modelType;
    private final String prefix;
    private final String classPrefix;
    private final boolean robertaHead;

    HfFamily(String modelType, String prefix, String classPrefix, boolean robertaHead) {
        this.modelType = modelType;
        this.prefix = prefix;
        this.classPrefix = classPrefix;
        this.robertaHead = robertaHead;
    }

    /** {@code model_type} in config.json. */
    public String modelType() {
        return modelType;
    }

    /** The base model's attribute name in the {@code *ForMaskedLM} class ({@code base_model_prefix}). */
    public String prefix() {
        return prefix;
    }

    /** The masked-LM class named in config.json's {@code architectures}. */
    public String maskedLmClass() {
        return classPrefix + HfHeadMapping.MASKED_LM_SUFFIX;
    }

    /** The start of every class name of the family: {@code Roberta}, {@code BigBird}, ... */
    public String classPrefix() {
        return classPrefix;
    }

    /**
     * The class of this family for a head type ({@link io.encoder4j.models.HeadConfig#type}), as config.json's
     * {@code architectures} names it: {@code RobertaForSequenceClassification}, ...
     */
    public String className(String headType) {
        return classPrefix + HfHeadMapping.suffix(headType);
    }

    /** True for RoBERTa's {@code lm_head.*} names, false for BERT's {@code cls.predictions.*}. */
    public boolean robertaHead() {
        return robertaHead;
    }

    /**
     * The position id transformers gives the first token, when the padding id is {@code pad}: RoBERTa and
     * Longformer number real tokens from {@code pad + 1} skipping padding (as encoder4j does); Nyströmformer uses
     * {@code arange(N) + 2} whatever the padding id; BigBird {@code arange(N)}. With right padding, a real token's
     * position is then {@code offset + t} in every family, so our table holds theirs shifted by
     * {@code pad + 1 - offset} rows.
     */
    public int positionOffset(int pad) {
        return switch (this) {
            case ROBERTA, LONGFORMER, ENCODER4J -> pad + 1;
            case NYSTROMFORMER -> 2;
            case BIG_BIRD -> 0;
        };
    }

    /** Rows the family's position table has beyond {@code max_position_embeddings} (Nyströmformer: 2). */
    public int extraPositionRows() {
        return this == NYSTROMFORMER ? 2 : 0;
    }

    /** The family of a config.json {@code model_type}, or {@code null}. */
    public static HfFamily ofModelType(String modelType) {
        for (HfFamily f : values()) {
            if (f.modelType.equals(modelType)) {
                return f;
            }
        }
        return null;
    }

    /** The supported {@code model_type} values, for error messages. */
    public static String supported() {
        return Arrays.stream(values()).map(HfFamily::modelType).collect(Collectors.joining(", "));
    }

    /** The families transformers itself can load. */
    public static List<HfFamily> transformersFamilies() {
        return List.of(ROBERTA, LONGFORMER, NYSTROMFORMER, BIG_BIRD);
    }
}
