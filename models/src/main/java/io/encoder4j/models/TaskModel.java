package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.attention.GlobalAttention;

/**
 * An encoder with one task head: the common base of {@link MaskedLmModel}, {@link SequenceClassificationModel},
 * {@link QuestionAnsweringModel} and {@link TokenClassificationModel}. Its first child block is always the
 * {@link TransformerEncoder} named {@code encoder}, so every model's encoder parameters have the same names
 * ({@code encoder_...}) and a pretrained encoder can be moved under any head ({@link ModelDirectory#fromPretrained}).
 *
 * <p>Each subclass has typed forward methods ({@code logits(...)}) and pure static loss functions; shapes are
 * documented on them. {@link #create} builds the model a {@link HeadConfig} describes.
 */
public abstract class TaskModel extends AbstractBlock {

    private final TransformerEncoder encoder;
    private final HeadConfig head;
    private final boolean globalAttention;

    protected TaskModel(byte version, EncoderConfig config, HeadConfig head) {
        super(version);
        this.encoder = addChildBlock("encoder", new TransformerEncoder(config));
        this.head = head;
        this.globalAttention = config.attention().stream().map(AttentionConfig::type)
                .anyMatch(GlobalAttention.NAME::equals);
    }

    /**
     * Initialises as RoBERTa (transformers' {@code _init_weights}): every weight N(0, initializer_range), biases 0,
     * LayerNorm gain 1 and shift 0; the head's parameters included, which is why the initializers are set here,
     * once every child block exists, and not in the constructor.
     */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        EncoderConfig config = config();
        setInitializer(new NormalInitializer(config.initializerRange()), Parameter.Type.WEIGHT);
        if (EncoderConfig.POSITION_INIT_SINUSOIDAL.equals(config.positionInit())) {
            encoder.embeddings().positionEmbeddings()
                    .setInitializer(new SinusoidalInitializer(config.initializerRange()));
        }
        super.initialize(manager, dataType, inputShapes);
    }

    /**
     * Builds and initialises the model for {@code head} on {@code manager}'s device, with fresh weights drawn from
     * DJL's engine seed ({@code Engine.getInstance().setRandomSeed}).
     */
    public static TaskModel create(EncoderConfig config, HeadConfig head, NDManager manager) {
        return switch (head.type()) {
            case HeadConfig.MASKED_LM -> MaskedLmModel.create(config, manager);
            case HeadConfig.SEQUENCE_CLASSIFICATION -> SequenceClassificationModel.create(config, head, manager);
            case HeadConfig.QUESTION_ANSWERING -> QuestionAnsweringModel.create(config, head, manager);
            case HeadConfig.TOKEN_CLASSIFICATION -> TokenClassificationModel.create(config, head, manager);
            default -> throw new IllegalArgumentException("unknown head type " + head.type());
        };
    }

    /** Checks that a subclass gets a head config of its own type. */
    protected static HeadConfig requireType(HeadConfig head, String type) {
        if (!head.type().equals(type)) {
            throw new IllegalArgumentException("head type '" + head.type() + "' given to the " + type + " model");
        }
        return head;
    }

    /** The encoder's configuration. */
    public EncoderConfig config() {
        return encoder.config();
    }

    /** The head's configuration. */
    public HeadConfig head() {
        return head;
    }

    public TransformerEncoder encoder() {
        return encoder;
    }

    /** Whether some layer uses {@code global} attention, so that the head's global tokens matter. */
    public boolean usesGlobalAttention() {
        return globalAttention;
    }

    /** Number of trainable and buffer elements (the tied decoder counts once). */
    public long parameterCount() {
        return getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
    }

    /**
     * The global-attention mask this head places automatically, or {@code null} when it places none or the model
     * has no {@code global} attention layer (where a mask would cost a host read for nothing).
     *
     * @param ids (B, N) INT64
     * @param attentionMask (B, N) 1 at tokens, 0 at padding
     * @return (B, N) 1 at global tokens, or {@code null}
     */
    public NDArray automaticGlobalAttention(NDArray ids, NDArray attentionMask) {
        return null;
    }

    /**
     * The token types this head gives the input by itself, or {@code null} for type 0 everywhere (every head but
     * BigBird's question answering, {@link QuestionAnsweringModel}).
     *
     * @param ids (B, N) INT64
     * @return (B, N) INT64 token types, or {@code null}
     */
    public NDArray automaticTokenTypes(NDArray ids) {
        return null;
    }

    /**
     * The encoder's hidden states with the head's automatic global attention and token types.
     *
     * @param ids (B, N) INT64
     * @param attentionMask (B, N) 1 at tokens, 0 at padding
     * @return (B, N, E)
     */
    public NDArray hidden(ParameterStore ps, NDArray ids, NDArray attentionMask, boolean training) {
        return hidden(ps, ids, attentionMask, automaticGlobalAttention(ids, attentionMask), training);
    }

    /**
     * The encoder's hidden states with an explicit global-attention mask and the head's automatic token types.
     *
     * @param globalAttentionMask (B, N) 1 at global tokens, or {@code null} for none
     * @return (B, N, E)
     */
    public NDArray hidden(ParameterStore ps, NDArray ids, NDArray attentionMask, NDArray globalAttentionMask,
            boolean training) {
        return encoder.encode(ps, ids, attentionMask, globalAttentionMask, automaticTokenTypes(ids), training);
    }
}
