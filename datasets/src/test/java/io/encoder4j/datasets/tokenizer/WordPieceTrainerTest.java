package io.encoder4j.datasets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordPieceTrainerTest {

    private static final List<String> SPECIALS = List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>");

    @TempDir
    Path dir;

    private static List<String> tinyCorpus() {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            docs.add("low lower lowest newer wider");
            docs.add("new newest widest low");
            docs.add("the lowest newer, wider road!");
        }
        return docs;
    }

    @Test
    void reproducesTheVocabularyOfHuggingFaceTokenizers() throws Exception {
        // Expected: tokenizers 0.23.2, WordPieceTrainer(vocab_size=40, min_frequency=2, special_tokens=SPECIALS) with
        // BertNormalizer(lowercase=True) and BertPreTokenizer, trained on tinyCorpus() (run by hand).
        List<String> alphabet = List.of("!", ",", "a", "d", "e", "h", "i", "l", "n", "o", "r", "s", "t", "w");
        List<String> continuations = List.of("##i", "##d", "##e", "##r", "##w", "##s", "##t", "##o", "##h", "##a");
        List<String> merged = List.of("##we", "lo", "ne", "##st", "wi", "##de", "##wer", "##west", "wide", "low",
                "lowest");

        WordPieceTrainer.WordPiece wp = WordPieceTrainer.train(tinyCorpus(),
                new WordPieceTrainingSettings(40, 2, SPECIALS, true));
        List<String> vocab = wp.vocab();
        assertEquals(40, vocab.size());
        assertEquals(SPECIALS, vocab.subList(0, 5));
        assertEquals(alphabet, vocab.subList(5, 19));
        // Hugging Face orders the ## characters by its hash map; compare them as a set.
        assertEquals(new HashSet<>(continuations), new HashSet<>(vocab.subList(19, 29)));
        assertEquals(merged, vocab.subList(29, 40));

        // The written tokenizer.json loads in DJL and tokenises as tokenizers does:
        // ['lowest', 'ne', '##wer', 'wide', '##st'].
        Path json = dir.resolve("tokenizer.json");
        WordPieceTrainer.write(wp, json);
        try (TextTokenizer tokenizer = TextTokenizer.load(json)) {
            List<String> tokens = new ArrayList<>();
            for (int id : tokenizer.encode("Lowest NEWER widest")) {
                tokens.add(vocab.get(id));
            }
            assertEquals(List.of("lowest", "ne", "##wer", "wide", "##st"), tokens);
            assertEquals("WordPiece", tokenizer.modelType());
            assertEquals(0, tokenizer.bosId());
            assertEquals(4, tokenizer.maskId());
            boolean[] continues = tokenizer.continuesWord();
            assertTrue(continues[vocab.indexOf("##wer")]);
            assertTrue(!continues[vocab.indexOf("wide")]);
            // A word with a character never seen becomes <unk>.
            assertEquals(List.of(tokenizer.unkId()), box(tokenizer.encode("xyz")));
        }
    }

    private static List<Integer> box(int[] ids) {
        List<Integer> out = new ArrayList<>();
        for (int id : ids) {
            out.add(id);
        }
        return out;
    }

    @Test
    void bertNormalisationAndPreTokenisation() {
        // A tab becomes a space, ideographs are padded with spaces, NUL and a zero-width space (format) are dropped.
        assertEquals("cafe  東  京 ", BertPreTokenizer.normalize("Café\t東京\u0000\u200b", true));
        List<String> words = new ArrayList<>();
        BertPreTokenizer.forEachWord("don't stop--now!", words::add);
        assertEquals(List.of("don", "'", "t", "stop", "-", "-", "now", "!"), words);
    }

    @Test
    void trainsOnRealTextWithinTheRequestedSize() {
        WordPieceTrainer.WordPiece wp = WordPieceTrainer.train(TestCorpus.lines(0, 200_000),
                WordPieceTrainingSettings.roberta(1500, 2));
        assertEquals(1500, wp.vocab().size());
        assertEquals(wp.vocab().size(), new HashSet<>(wp.vocab()).size());
        assertTrue(wp.vocab().contains("the"));
    }
}
