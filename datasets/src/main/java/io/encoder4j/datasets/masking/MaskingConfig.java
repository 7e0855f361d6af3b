package io.encoder4j.datasets.masking;

import io.encoder4j.core.config.Checks;

/**
 * Masked-language-model corruption (Devlin et al. 2019, section 3.1; RoBERTa keeps it): each non-special token is
 * chosen with {@code maskProbability}; a chosen token becomes {@code <mask>} with {@code maskTokenFraction}, a random
 * token with {@code randomTokenFraction}, and stays unchanged otherwise.
 */
public record MaskingConfig(Float maskProbability, Float maskTokenFraction, Float randomTokenFraction) {

    /** Every field at its default. */
    public static MaskingConfig defaults() {
        return new MaskingConfig(null, null, null);
    }

    public MaskingConfig {
        maskProbability = maskProbability == null ? 0.15f : maskProbability;
        maskTokenFraction = maskTokenFraction == null ? 0.8f : maskTokenFraction;
        randomTokenFraction = randomTokenFraction == null ? 0.1f : randomTokenFraction;
        Checks.fraction("mask_probability", maskProbability);
        if (maskProbability == 0f) {
            throw new IllegalArgumentException("mask_probability must be greater than 0, got 0.0");
        }
        Checks.fraction("mask_token_fraction", maskTokenFraction);
        Checks.fraction("random_token_fraction", randomTokenFraction);
        if (maskTokenFraction + randomTokenFraction > 1f + 1e-6f) {
            throw new IllegalArgumentException("mask_token_fraction + random_token_fraction must not exceed 1, got "
                    + (maskTokenFraction + randomTokenFraction));
        }
    }
}
