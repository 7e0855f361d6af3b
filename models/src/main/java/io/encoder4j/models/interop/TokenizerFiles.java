package io.encoder4j.models.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tokenizer files a transformers checkpoint carries next to {@code tokenizer.json}: {@code tokenizer_config.json}
 * (which class loads it, its special tokens and maximum length) and {@code special_tokens_map.json} (read by
 * transformers 4.x; 5.x reads the same entries from tokenizer_config.json). The special tokens are found in
 * {@code tokenizer.json}'s {@code added_tokens} by RoBERTa's names ({@code <s>}, {@code </s>}, {@code <pad>},
 * {@code <unk>}, {@code <mask>}), which encoder4j's tokenizer trainer uses, or else BERT's ({@code [CLS]}, ...).
 */
public final class TokenizerFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** transformers role to the RoBERTa and the BERT spelling of the token. */
    private static final String[][] ROLES = {
        {"bos_token", "<s>", "[CLS]"},
        {"eos_token", "</s>", "[SEP]"},
        {"unk_token", "<unk>", "[UNK]"},
        {"sep_token", "</s>", "[SEP]"},
        {"pad_token", "<pad>", "[PAD]"},
        {"cls_token", "<s>", "[CLS]"},
        {"mask_token", "<mask>", "[MASK]"},
    };

    private TokenizerFiles() {}

    /** Role ({@code bos_token}, ...) to token text, for the special tokens {@code tokenizer.json} holds. */
    public static Map<String, String> specialTokens(Path tokenizerJson) throws IOException {
        Map<String, Integer> ids = addedTokens(tokenizerJson);
        Map<String, String> roles = new LinkedHashMap<>();
        for (String[] role : ROLES) {
            for (int spelling = 1; spelling < role.length; spelling++) {
                if (ids.containsKey(role[spelling])) {
                    roles.put(role[0], role[spelling]);
                    break;
                }
            }
        }
        return roles;
    }

    /** {@code bos_token_id}, {@code eos_token_id} and {@code sep_token_id} for a config.json, where present. */
    public static Map<String, Integer> specialIds(Path tokenizerJson) throws IOException {
        Map<String, Integer> ids = addedTokens(tokenizerJson);
        Map<String, String> roles = specialTokens(tokenizerJson);
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String role : new String[] {"bos_token", "eos_token", "sep_token"}) {
            if (roles.containsKey(role)) {
                out.put(role + "_id", ids.get(roles.get(role)));
            }
        }
        return out;
    }

    private static Map<String, Integer> addedTokens(Path tokenizerJson) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson.toFile());
        } catch (IOException e) {
            throw new ConfigException(tokenizerJson + ": not a readable tokenizer.json: " + e.getMessage(), e);
        }
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            ids.put(t.path("content").asText(), t.path("id").asInt());
        }
        return ids;
    }

    /** Writes tokenizer_config.json and special_tokens_map.json into {@code dir}. */
    public static void write(Path tokenizerJson, int maxLength, Path dir) throws IOException {
        Map<String, String> roles = specialTokens(tokenizerJson);
        ObjectNode config = JSON.createObjectNode();
        // The generic fast tokenizer loads tokenizer.json exactly as written, in transformers 4.x and 5.x.
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        roles.forEach(config::put);
        config.put("model_max_length", maxLength);
        ObjectNode map = JSON.createObjectNode();
        roles.forEach(map::put);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
        Files.writeString(dir.resolve("special_tokens_map.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(map) + "\n");
    }
}
