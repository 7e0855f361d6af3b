package io.encoder4j.datasets.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a WordPiece vocabulary as Hugging Face's {@code WordPieceTrainer} does: BERT normalisation and
 * pre-tokenisation ({@link BertPreTokenizer}), then BPE merges over characters where every character but a word's
 * first carries the {@code ##} prefix, a merge of {@code a} and {@code ##b} giving {@code ab}; the vocabulary is the
 * result (the merges are not kept: WordPiece encodes greedily, longest match first).
 *
 * <p>Ids: special tokens, then the alphabet (every character of the corpus, by code point), then the {@code ##}
 * characters, then merged tokens in merge order. Hugging Face adds the {@code ##} characters in the iteration order of
 * its word hash map; here they come in order of first appearance in the corpus. That block's order, and through the
 * smallest-id tie rule the order of merges with equal counts, are the only possible differences from
 * {@code tokenizers}.
 */
public final class WordPieceTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(WordPieceTrainer.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private WordPieceTrainer() {}

    /**
     * A trained WordPiece vocabulary.
     *
     * @param vocab every token, the index being its id
     * @param specialTokens the special tokens, the first entries of {@code vocab}
     * @param lowercase whether the tokenizer lowercases (part of its normalizer)
     */
    public record WordPiece(List<String> vocab, List<String> specialTokens, boolean lowercase) {
        public WordPiece {
            vocab = List.copyOf(vocab);
            specialTokens = List.copyOf(specialTokens);
        }
    }

    /** Trains on {@code documents}; every document is normalised and split into words on its own. */
    public static WordPiece train(Iterable<String> documents, WordPieceTrainingSettings settings) {
        Objects.requireNonNull(documents, "documents");
        long start = System.nanoTime();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String document : documents) {
            BertPreTokenizer.forEachWord(BertPreTokenizer.normalize(document, settings.lowercase()),
                    w -> counts.merge(w, 1, Integer::sum));
        }
        // The alphabet: every character of every word, by code point.
        TreeSet<Integer> alphabet = new TreeSet<>();
        counts.keySet().forEach(w -> w.codePoints().forEach(alphabet::add));
        List<String> initial = new ArrayList<>(settings.specialTokens());
        Map<String, Integer> ids = new HashMap<>();
        for (String s : initial) {
            ids.putIfAbsent(s, ids.size());
        }
        for (int c : alphabet) {
            String s = new String(Character.toChars(c));
            if (ids.putIfAbsent(s, initial.size()) == null) {
                initial.add(s);
            }
        }
        int[][] words = new int[counts.size()][];
        long[] frequencies = new long[counts.size()];
        int w = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            int[] cps = e.getKey().codePoints().toArray();
            int[] symbols = new int[cps.length];
            for (int i = 0; i < cps.length; i++) {
                String s = (i == 0 ? "" : WordPieceTrainingSettings.PREFIX) + new String(Character.toChars(cps[i]));
                Integer id = ids.get(s);
                if (id == null) {
                    id = initial.size();
                    ids.put(s, id);
                    initial.add(s);
                }
                symbols[i] = id;
            }
            words[w] = symbols;
            frequencies[w++] = e.getValue();
        }
        int prefix = WordPieceTrainingSettings.PREFIX.length();
        BpeMergeRun.Result result = new BpeMergeRun(initial, words, frequencies, settings.vocabSize(),
                settings.minFrequency(), (left, right) -> left + (right.startsWith(WordPieceTrainingSettings.PREFIX)
                        ? right.substring(prefix) : right)).run();
        LOG.info("Trained WordPiece: {} tokens, {} merges from {} distinct words in {} s", result.tokens().size(),
                result.merges().size(), counts.size(), String.format("%.2f", (System.nanoTime() - start) / 1e9));
        return new WordPiece(result.tokens(), settings.specialTokens(), settings.lowercase());
    }

    /**
     * Writes {@code wordPiece} as a Hugging Face {@code tokenizer.json} (BERT normaliser and pre-tokeniser, WordPiece
     * model and decoder, RoBERTa framing of the project's special tokens), through a temporary file and a rename.
     */
    public static void write(WordPiece wordPiece, Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path temp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                JSON.writeValue(out, toJson(wordPiece));
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    static ObjectNode toJson(WordPiece wp) {
        List<String> vocab = wp.vocab();
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : wp.specialTokens()) {
            added.addObject().put("id", vocab.indexOf(special)).put("content", special).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true)
                .put("handle_chinese_chars", true).putNull("strip_accents").put("lowercase", wp.lowercase());
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        String bos = BpeTrainingSettings.BOS;
        String eos = BpeTrainingSettings.EOS;
        if (vocab.contains(bos) && vocab.contains(eos)) {
            ObjectNode post = root.putObject("post_processor").put("type", "RobertaProcessing");
            post.putArray("sep").add(eos).add(vocab.indexOf(eos));
            post.putArray("cls").add(bos).add(vocab.indexOf(bos));
            post.put("trim_offsets", false).put("add_prefix_space", false);
        } else {
            root.putNull("post_processor");
        }
        root.putObject("decoder").put("type", "WordPiece").put("prefix", WordPieceTrainingSettings.PREFIX)
                .put("cleanup", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece");
        model.put("unk_token", vocab.contains(BpeTrainingSettings.UNK) ? BpeTrainingSettings.UNK : "[UNK]");
        model.put("continuing_subword_prefix", WordPieceTrainingSettings.PREFIX);
        model.put("max_input_chars_per_word", 100);
        ObjectNode v = model.putObject("vocab");
        for (int id = 0; id < vocab.size(); id++) {
            v.put(vocab.get(id), id);
        }
        return root;
    }
}
