package io.encoder4j.datasets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trains on ~1 MB of English, writes tokenizer.json and reads it back through DJL. */
class TextTokenizerTest {

    private static final int TRAIN_CHARS = 1_000_000;
    private static final int VOCAB = 2000;
    private static final List<String> SAMPLES =
            List.of(
                    "Emma Woodhouse, handsome, clever, and rich, with a comfortable home.",
                    "Punctuation!? (brackets) [x] {y} \"quotes\" 'single' -- dashes... ;: it's we'll",
                    "multiple   spaces\tand\ttabs  \n\n\nnewlines\r\nand a trailing space ",
                    "digits 0123456789 and 3.14159, 1,000,000",
                    "naïve café — 東京 😀 Ünïcödé",
                    "   leading spaces",
                    "");

    @TempDir static Path dir;
    private static ByteLevelBpe bpe;
    private static Path json;
    private static TextTokenizer tokenizer;

    @BeforeAll
    static void trainAndLoad() throws IOException {
        bpe = ByteLevelBpeTrainer.train(TestCorpus.lines(0, TRAIN_CHARS), BpeTrainingSettings.roberta(VOCAB, 2));
        // A nested, freshly made directory: loading must not depend on DJL's model directories.
        json = dir.resolve("nested/tokenizer.json");
        TokenizerJsonWriter.write(bpe, json);
        tokenizer = TextTokenizer.load(json);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void roundTripsTextExactlyWithoutUnknowns() {
        for (String text : SAMPLES) {
            int[] ids = tokenizer.encode(text);
            assertEquals(text, tokenizer.decode(ids), () -> "ids " + Arrays.toString(ids));
            assertFalse(Arrays.stream(ids).anyMatch(id -> id == tokenizer.unkId()), text);
        }
    }

    @Test
    void encodesWithTheTrainedMerges() {
        // DJL applies the trained vocabulary: " the" is one learned token, not four bytes.
        assertArrayEquals(new int[] {tokenizer.idOf("Ġthe")}, tokenizer.encode(" the"));
        assertEquals(bpe.vocab().indexOf("Ġthe"), tokenizer.idOf("Ġthe"));
    }

    @Test
    void specialTokensHaveRobertaIds() {
        assertEquals(0, tokenizer.bosId());
        assertEquals(1, tokenizer.padId());
        assertEquals(2, tokenizer.eosId());
        assertEquals(3, tokenizer.unkId());
        assertEquals(4, tokenizer.maskId());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, tokenizer.specialIds());
        assertTrue(tokenizer.isSpecial(4));
        assertFalse(tokenizer.isSpecial(5));
        assertEquals(5, tokenizer.idOf("!"));
        assertEquals(VOCAB, tokenizer.vocabSize());
    }

    @Test
    void maskInTextIsOneToken() {
        assertArrayEquals(new int[] {4}, tokenizer.encode("<mask>"));
        int[] ids = tokenizer.encode("The cat <mask> on the mat.");
        assertEquals(1, Arrays.stream(ids).filter(id -> id == 4).count());
        // lstrip: the mask absorbs the space before it, as in RoBERTa.
        assertEquals("The cat<mask> on the mat.", tokenizer.decode(ids));
        // Special tokens are never added by encode.
        assertFalse(Arrays.stream(tokenizer.encode("plain text")).anyMatch(tokenizer::isSpecial));
    }

    @Test
    void compressesHeldOutEnglish() {
        String heldOut = TestCorpus.slice(TRAIN_CHARS, TRAIN_CHARS + 50_000);
        int tokens = tokenizer.encode(heldOut).length;
        double ratio = (double) tokens / heldOut.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(ratio < 0.4, "tokens per byte " + ratio);
    }

    @Test
    void longTextIsNeitherTruncatedNorPadded() {
        String longText = TestCorpus.slice(TRAIN_CHARS, TRAIN_CHARS + 20_000);
        List<String> texts = List.of(longText, "short", "a little longer");
        List<int[]> batch = tokenizer.encodeBatch(texts);
        assertTrue(batch.get(0).length > 2000, "length " + batch.get(0).length);
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(tokenizer.encode(texts.get(i)), batch.get(i));
            assertEquals(texts.get(i), tokenizer.decode(batch.get(i)));
        }
    }

    @Test
    void writesRobertaStyleJson() throws IOException {
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals("1.0", root.path("version").asText());
        assertTrue(root.path("truncation").isNull() && root.path("padding").isNull());
        JsonNode mask = root.path("added_tokens").get(4);
        assertEquals("<mask>", mask.path("content").asText());
        assertTrue(mask.path("lstrip").asBoolean() && mask.path("special").asBoolean());
        assertEquals("RobertaProcessing", root.path("post_processor").path("type").asText());
        assertEquals(0, root.path("post_processor").path("cls").get(1).asInt());
        assertEquals(2, root.path("post_processor").path("sep").get(1).asInt());
        JsonNode model = root.path("model");
        assertEquals("BPE", model.path("type").asText());
        assertEquals(VOCAB, model.path("vocab").size());
        ByteLevelBpe.Merge first = bpe.merges().get(0);
        assertEquals(first.left() + " " + first.right(), model.path("merges").get(0).asText());
        assertEquals(bpe.merges().size(), model.path("merges").size());
    }

    @Test
    void overwritesAtomicallyLeavingNoTemporaryFile() throws IOException {
        Path target = dir.resolve("again/tokenizer.json");
        TokenizerJsonWriter.write(bpe, target);
        TokenizerJsonWriter.write(bpe, target);
        try (Stream<Path> files = Files.list(target.getParent())) {
            assertEquals(List.of(target), files.toList());
        }
        assertEquals(Files.readString(json), Files.readString(target));
    }

    @Test
    void loadNamesTheFileItCannotUse() throws IOException {
        Path missing = dir.resolve("missing.json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TextTokenizer.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"model\": ");
        e = assertThrows(IllegalArgumentException.class, () -> TextTokenizer.load(broken));
        assertTrue(e.getMessage().contains(broken.toString()), e.getMessage());

        Path notATokenizer = Files.writeString(dir.resolve("other.json"), "{\"model\": {}}");
        e = assertThrows(IllegalArgumentException.class, () -> TextTokenizer.load(notATokenizer));
        assertTrue(e.getMessage().contains(notATokenizer.toString()), e.getMessage());
    }

    @Test
    void unknownTokenLookupFails() {
        assertThrows(IllegalArgumentException.class, () -> tokenizer.idOf("no such token"));
    }
}
