package io.encoder4j.datasets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ByteLevelPreTokenizerTest {

    @Test
    void splitsLikeGpt2() {
        // Expected pieces are what Hugging Face's ByteLevel(add_prefix_space=False) produces.
        assertEquals(List.of("Hello", "Ġworld", "!"), ByteLevelPreTokenizer.split("Hello world!"));
        assertEquals(List.of("it", "'s", "Ġ2024", "."), ByteLevelPreTokenizer.split("it's 2024."));
        // A run of spaces leaves its last space to the next word: "\s+(?!\S)".
        assertEquals(List.of("a", "ĠĠ", "Ġb"), ByteLevelPreTokenizer.split("a   b"));
        assertEquals(List.of("end", "ĊĊ"), ByteLevelPreTokenizer.split("end\n\n"));
        assertEquals(List.of("ĉ", "Ġ--", "Ġ(", "x", ")"), ByteLevelPreTokenizer.split("\t -- (x)"));
    }

    @Test
    void mapsUtf8BytesOfNonAsciiText() {
        // "é" is C3 A9 and both are printable Latin-1, so they stand for themselves.
        assertEquals(List.of("caf\u00C3\u00A9"), ByteLevelPreTokenizer.split("café"));
        // A no-break space is Unicode white space, as in the Rust regex: not glued to the word.
        assertEquals(List.of("a", "\u00C2\u0142", "b"), ByteLevelPreTokenizer.split("a\u00A0b"));
    }

    @Test
    void alphabetHasAll256BytesInGpt2Order() {
        List<String> alphabet = ByteLevelPreTokenizer.alphabet();
        assertEquals(256, alphabet.size());
        assertEquals(256, new HashSet<>(alphabet).size());
        assertEquals("!", alphabet.get(0));
        assertEquals("Ġ", ByteLevelPreTokenizer.toByteLevel(" "));
        assertEquals("Ċ", ByteLevelPreTokenizer.toByteLevel("\n"));
        assertTrue(alphabet.stream().allMatch(s -> s.length() == 1 && !Character.isWhitespace(s.charAt(0))));
    }
}
