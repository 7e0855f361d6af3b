package io.encoder4j.datasets.tokenizer;

import static io.encoder4j.datasets.tokenizer.BpeTrainingSettings.BOS;
import static io.encoder4j.datasets.tokenizer.BpeTrainingSettings.EOS;
import static io.encoder4j.datasets.tokenizer.BpeTrainingSettings.MASK;
import static io.encoder4j.datasets.tokenizer.BpeTrainingSettings.UNK;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Writes a {@link ByteLevelBpe} as a Hugging Face {@code tokenizer.json} laid out like
 * roberta-base's, loadable by the Rust {@code tokenizers} library (DJL's {@code
 * HuggingFaceTokenizer}, Python {@code tokenizers}) and by {@code transformers}' {@code
 * PreTrainedTokenizerFast(tokenizer_file=...)}.
 */
public final class TokenizerJsonWriter {

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TokenizerJsonWriter() {}

    /**
     * Writes {@code bpe} to {@code file}, replacing it atomically: readers see the old file or the
     * complete new one, never a partial write.
     */
    public static void write(ByteLevelBpe bpe, Path file) throws IOException {
        ObjectNode root = toJson(bpe);
        Path target = file.toAbsolutePath();
        Path directory = target.getParent();
        Files.createDirectories(directory);
        // A sibling name (not createTempFile, whose owner-only permissions the renamed file would keep).
        Path temp = directory.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                JSON.writeValue(out, root);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    static ObjectNode toJson(ByteLevelBpe bpe) {
        List<String> vocab = bpe.vocab();
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");

        ArrayNode added = root.putArray("added_tokens");
        for (String special : bpe.specialTokens()) {
            added.addObject()
                    .put("id", vocab.indexOf(special))
                    .put("content", special)
                    .put("single_word", false)
                    // RoBERTa's <mask> swallows the space before it, so "a <mask>." predicts the
                    // word token with its leading space ("Ġword"), as pre-training saw it.
                    .put("lstrip", special.equals(MASK))
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", true);
        }

        root.putNull("normalizer");
        root.putObject("pre_tokenizer")
                .put("type", "ByteLevel")
                .put("add_prefix_space", false)
                .put("trim_offsets", true)
                .put("use_regex", true);
        if (vocab.contains(BOS) && vocab.contains(EOS)) {
            ObjectNode post = root.putObject("post_processor").put("type", "RobertaProcessing");
            post.putArray("sep").add(EOS).add(vocab.indexOf(EOS));
            post.putArray("cls").add(BOS).add(vocab.indexOf(BOS));
            post.put("trim_offsets", true).put("add_prefix_space", false);
        } else {
            // RobertaProcessing needs both; without them sequences are left as they are.
            root.putNull("post_processor");
        }
        root.putObject("decoder")
                .put("type", "ByteLevel")
                .put("add_prefix_space", true)
                .put("trim_offsets", true)
                .put("use_regex", true);

        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        if (vocab.contains(UNK)) {
            model.put("unk_token", UNK);
        } else {
            model.putNull("unk_token");
        }
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocabNode = model.putObject("vocab");
        for (int id = 0; id < vocab.size(); id++) {
            vocabNode.put(vocab.get(id), id);
        }
        // The legacy "left right" strings: every tokenizers release reads them (pairs as arrays
        // only since 0.20), and byte-level symbols contain no space to make them ambiguous.
        ArrayNode merges = model.putArray("merges");
        for (ByteLevelBpe.Merge merge : bpe.merges()) {
            merges.add(merge.left() + " " + merge.right());
        }
        return root;
    }
}
