package io.encoder4j.models;

/**
 * What a model directory's {@code model.json} holds: the encoder's architecture and the task head on top of it.
 *
 * <pre>
 * {"encoder": {"vocab_size": 2048, "hidden_size": 128, ...}, "head": {"type": "masked_lm"}}
 * </pre>
 *
 * @param encoder the encoder; must be resolved ({@code vocab_size} and {@code max_position_embeddings} set)
 * @param head the task head; {@code masked_lm} when absent
 */
public record ModelConfig(EncoderConfig encoder, HeadConfig head) {

    public ModelConfig {
        if (encoder == null) {
            throw new IllegalArgumentException("encoder must be set");
        }
        if (!encoder.isResolved()) {
            throw new IllegalArgumentException("encoder: vocab_size and max_position_embeddings must be set in a "
                    + "saved model");
        }
        head = head == null ? HeadConfig.maskedLm() : head;
    }
}
