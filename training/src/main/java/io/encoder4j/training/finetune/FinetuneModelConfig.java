package io.encoder4j.training.finetune;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.core.config.Suggestions;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.EncoderPresets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code model} section of a fine-tuning job: either {@code pretrained: <model dir>} (its encoder weights are
 * loaded by name, its tokenizer is used, and a new head is drawn), optionally with encoder keys that override the
 * saved config (say {@code dropout}); or an encoder config (a preset {@code include:}d, or keys written out) and a
 * {@code tokenizer: path/tokenizer.json} for training from scratch. One YAML mapping, so a preset's {@code model:}
 * section composes with it unchanged.
 *
 * @param pretrained the model directory to start from, or null to train from scratch
 * @param encoderKeys the other keys as written (snake_case): encoder keys and {@code tokenizer}
 */
public record FinetuneModelConfig(String pretrained, Map<String, Object> encoderKeys) {

    public static final String PRETRAINED = "pretrained";
    /** A model from scratch: the tokenizer.json it reads text with (a pretrained model brings its own). */
    public static final String TOKENIZER = "tokenizer";

    public FinetuneModelConfig {
        encoderKeys = encoderKeys == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(encoderKeys));
        if (pretrained != null && pretrained.isBlank()) {
            throw new IllegalArgumentException("pretrained must not be blank");
        }
        if (pretrained != null && encoderKeys.containsKey(TOKENIZER)) {
            throw new IllegalArgumentException("tokenizer: a pretrained model brings its own tokenizer");
        }
        // Validated now, when the job is loaded: a misspelt key names itself with a suggestion.
        apply(pretrained == null ? null : EncoderConfig.defaults(), encoderKeys);
    }

    /** Binds from the YAML mapping: {@code pretrained}, {@code tokenizer} and the encoder's keys side by side. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static FinetuneModelConfig fromYaml(ObjectNode node) {
        ObjectNode rest = node.deepCopy();
        JsonNode path = rest.remove(PRETRAINED);
        Map<String, Object> keys = ConfigLoader.mapper().convertValue(rest,
                new TypeReference<LinkedHashMap<String, Object>>() {});
        return new FinetuneModelConfig(path == null || path.isNull() ? null : path.asText(), keys);
    }

    @JsonValue
    Map<String, Object> toYaml() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (pretrained != null) {
            out.put(PRETRAINED, pretrained);
        }
        out.putAll(encoderKeys);
        return out;
    }

    /** The tokenizer of a model from scratch, or null. */
    public String tokenizer() {
        Object t = encoderKeys.get(TOKENIZER);
        return t == null ? null : t.toString();
    }

    /**
     * The encoder: {@code base} (the pretrained model's saved config) with the written keys, or with a null
     * {@code base} the written keys alone (every other field at its default, derived ones derived).
     */
    public EncoderConfig encoderFor(EncoderConfig base) {
        return apply(base, encoderKeys);
    }

    private static EncoderConfig apply(EncoderConfig base, Map<String, Object> keys) {
        Map<String, Object> encoder = new LinkedHashMap<>(keys);
        encoder.remove(TOKENIZER);
        if (base != null && encoder.isEmpty()) {
            return base;
        }
        try {
            return base != null ? EncoderPresets.with(base, encoder)
                    : ConfigLoader.mapper().convertValue(encoder, EncoderConfig.class);
        } catch (IllegalArgumentException e) {
            Throwable root = e;
            while (root.getCause() != null && !(root instanceof UnrecognizedPropertyException)) {
                root = root.getCause();
            }
            if (root instanceof UnrecognizedPropertyException u) {
                List<String> known = u.getKnownPropertyIds().stream().map(Object::toString).sorted().toList();
                throw new IllegalArgumentException(u.getPropertyName() + ": unknown key"
                        + Suggestions.didYouMean(u.getPropertyName(), known) + "; known keys here: pretrained, "
                        + "tokenizer, " + String.join(", ", known), e);
            }
            if (root instanceof IllegalArgumentException iae && root != e) {
                throw iae;
            }
            throw e;
        }
    }

    /** A model from the directory {@code dir}. */
    public static FinetuneModelConfig pretrained(String dir) {
        return new FinetuneModelConfig(dir, Map.of());
    }
}
