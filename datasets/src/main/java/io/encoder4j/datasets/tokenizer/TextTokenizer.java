package io.encoder4j.datasets.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Encodes and decodes text with any Hugging Face {@code tokenizer.json}, through DJL's bindings
 * to the Rust {@code tokenizers} library.
 *
 * <p>Encoding is raw: no special tokens are added, nothing is truncated or padded. DJL's builder
 * otherwise truncates to 512 tokens and pads batches to their longest member, which would silently
 * cut long documents; framing sequences with {@code <s>}/{@code </s>} is left to the caller.
 *
 * <p>DJL does not expose the vocabulary, so token lookups read the JSON file itself.
 */
public final class TextTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> ids;
    private final int[] specialIds;
    private final int vocabSize;
    private final String modelType;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> ids, int[] specialIds,
            String modelType) {
        this.tokenizer = tokenizer;
        this.ids = ids;
        this.specialIds = specialIds;
        this.modelType = modelType;
        this.vocabSize = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    }

    /**
     * Loads {@code tokenizerJson}, a tokenizer.json file in any directory.
     *
     * @throws IllegalArgumentException naming the file if it is missing, unreadable or invalid
     */
    public static TextTokenizer load(Path tokenizerJson) {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        if (!Files.isRegularFile(tokenizerJson) || !Files.isReadable(tokenizerJson)) {
            throw new IllegalArgumentException(
                    "Tokenizer file is missing or unreadable: " + tokenizerJson.toAbsolutePath());
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(tokenizerJson.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "Cannot read tokenizer file " + tokenizerJson.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        Map<String, Integer> ids = new HashMap<>();
        readModelVocab(root.path("model").path("vocab"), ids);
        TreeSet<Integer> specials = new TreeSet<>();
        for (JsonNode added : root.path("added_tokens")) {
            int id = added.path("id").asInt();
            ids.put(added.path("content").asText(), id);
            if (added.path("special").asBoolean()) {
                specials.add(id);
            }
        }
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer =
                    HuggingFaceTokenizer.builder()
                            .optTokenizerPath(tokenizerJson.toAbsolutePath())
                            .optAddSpecialTokens(false)
                            .optTruncation(false)
                            .optPadding(false)
                            .build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(
                    "Cannot load tokenizer file " + tokenizerJson.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return new TextTokenizer(tokenizer, Map.copyOf(ids), specials.stream().mapToInt(Integer::intValue).toArray(),
                root.path("model").path("type").asText(""));
    }

    /**
     * BPE, WordPiece and WordLevel models store the vocabulary as {token: id}; Unigram stores
     * [token, score] pairs whose position is the id.
     */
    private static void readModelVocab(JsonNode vocab, Map<String, Integer> ids) {
        if (vocab.isObject()) {
            for (Map.Entry<String, JsonNode> field : vocab.properties()) {
                ids.put(field.getKey(), field.getValue().asInt());
            }
        } else if (vocab.isArray()) {
            for (int id = 0; id < vocab.size(); id++) {
                ids.put(vocab.get(id).path(0).asText(), id);
            }
        }
    }

    /** The token ids of {@code text}, without special tokens added. */
    public int[] encode(String text) {
        return encodeBatch(List.of(text)).get(0);
    }

    /**
     * Encodes several texts in one native call, which parallelises over the texts. Only the ids cross JNI: DJL's
     * {@code Encoding} would also fetch each token's string, type, word id, masks and character span, which made
     * encoding three times slower than the Rust library itself (measured on the shared corpus).
     */
    public List<int[]> encodeBatch(List<String> texts) {
        long[] handles = TokenizersLibrary.LIB.batchEncode(tokenizer.getHandle(), texts.toArray(String[]::new), false);
        List<int[]> result = new ArrayList<>(handles.length);
        try {
            for (long handle : handles) {
                result.add(toInts(TokenizersLibrary.LIB.getTokenIds(handle)));
            }
        } finally {
            for (long handle : handles) {
                TokenizersLibrary.LIB.deleteEncoding(handle);
            }
        }
        return result;
    }

    /** The ids of {@code text} with each token's character span, in {@code String} indices. */
    public TokenizedText encodeWithOffsets(String text) {
        return encodeBatchWithOffsets(List.of(text)).get(0);
    }

    /** {@link #encodeWithOffsets} of several texts in one native call, which parallelises over the texts. */
    public List<TokenizedText> encodeBatchWithOffsets(List<String> texts) {
        long[] handles = TokenizersLibrary.LIB.batchEncode(tokenizer.getHandle(), texts.toArray(String[]::new), false);
        List<TokenizedText> result = new ArrayList<>(handles.length);
        try {
            for (int i = 0; i < handles.length; i++) {
                result.add(withOffsets(texts.get(i), TokenizersLibrary.LIB.getTokenIds(handles[i]),
                        TokenizersLibrary.LIB.getTokenCharSpans(handles[i])));
            }
        } finally {
            for (long handle : handles) {
                TokenizersLibrary.LIB.deleteEncoding(handle);
            }
        }
        return result;
    }

    /**
     * The Rust library reports spans in Unicode code points; Java strings index UTF-16 units, which differ after any
     * character outside the Basic Multilingual Plane (an emoji, say).
     */
    private static TokenizedText withOffsets(String text, long[] tokenIds, CharSpan[] spans) {
        int[] ids = toInts(tokenIds);
        int[] starts = new int[ids.length];
        int[] ends = new int[ids.length];
        int[] utf16 = null;
        if (text.codePointCount(0, text.length()) != text.length()) {
            utf16 = new int[text.codePointCount(0, text.length()) + 1];
            int cp = 0;
            for (int i = 0; i < text.length(); i = text.offsetByCodePoints(i, 1)) {
                utf16[cp++] = i;
            }
            utf16[cp] = text.length();
        }
        for (int i = 0; i < ids.length; i++) {
            CharSpan span = spans[i];
            int start = span == null ? 0 : span.getStart();
            int end = span == null ? 0 : span.getEnd();
            starts[i] = utf16 == null ? start : utf16[start];
            ends[i] = utf16 == null ? end : utf16[end];
        }
        return new TokenizedText(ids, starts, ends);
    }

    /** The text of {@code ids}; special tokens are kept as their text. */
    public String decode(int[] ids) {
        return tokenizer.decode(Arrays.stream(ids).asLongStream().toArray(), false);
    }

    /** The number of ids, model vocabulary and added tokens included (largest id + 1). */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The id of {@code token}, a vocabulary entry (in byte-level form for byte-level BPE) or an
     * added token.
     *
     * @throws IllegalArgumentException if the tokenizer has no such token
     */
    public int idOf(String token) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new IllegalArgumentException("Token not in vocabulary: " + token);
        }
        return id;
    }

    /** The model type of the tokenizer.json ({@code BPE}, {@code WordPiece}, {@code WordLevel}, {@code Unigram}). */
    public String modelType() {
        return modelType;
    }

    /**
     * Which ids continue the word of the token before them, for whole-word masking: WordPiece marks continuations
     * with {@code ##}; byte-level BPE marks the start of a word with the space it carries ({@code Ġ}), so any other
     * token continues a word (punctuation attached to a word included). Special tokens never continue a word. Other
     * model types give all false (every token its own word).
     */
    public boolean[] continuesWord() {
        boolean[] continues = new boolean[vocabSize];
        boolean wordPiece = modelType.equals("WordPiece");
        boolean bpe = modelType.equals("BPE");
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            String token = e.getKey();
            int id = e.getValue();
            if (isSpecial(id)) {
                continue;
            }
            if (wordPiece) {
                continues[id] = token.startsWith("##");
            } else if (bpe) {
                continues[id] = !token.startsWith("\u0120") && !token.startsWith("\u010a") && !token.startsWith(" ");
            }
        }
        return continues;
    }

    /** Whether {@code id} is a special added token. */
    public boolean isSpecial(int id) {
        return Arrays.binarySearch(specialIds, id) >= 0;
    }

    /** The ids of the special added tokens, ascending. */
    public int[] specialIds() {
        return specialIds.clone();
    }

    public int bosId() {
        return idOf(BpeTrainingSettings.BOS);
    }

    public int padId() {
        return idOf(BpeTrainingSettings.PAD);
    }

    public int eosId() {
        return idOf(BpeTrainingSettings.EOS);
    }

    public int unkId() {
        return idOf(BpeTrainingSettings.UNK);
    }

    public int maskId() {
        return idOf(BpeTrainingSettings.MASK);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static int[] toInts(long[] ids) {
        int[] result = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            result[i] = Math.toIntExact(ids[i]);
        }
        return result;
    }
}
