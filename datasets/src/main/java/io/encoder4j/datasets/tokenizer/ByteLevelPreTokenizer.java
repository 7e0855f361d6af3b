package io.encoder4j.datasets.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The GPT-2 byte-level pre-tokenizer, reproducing Hugging Face's {@code ByteLevel} pre-tokenizer
 * with {@code add_prefix_space=false, use_regex=true}.
 *
 * <p>Text is split with the GPT-2 regex, each piece is UTF-8 encoded and every byte is replaced by
 * a printable unicode character (GPT-2's {@code bytes_to_unicode}). BPE then works on these
 * characters, so the 256 byte symbols cover every possible input and no {@code <unk>} is needed.
 */
final class ByteLevelPreTokenizer {

    /**
     * GPT-2's split pattern (encoder.py in openai/gpt-2). {@code UNICODE_CHARACTER_CLASS} makes
     * {@code \s} match all Unicode white space as the Rust tokenizers (Oniguruma) regex does; without
     * it Java's {@code \s} is ASCII-only and, for instance, a no-break space would land in a
     * punctuation piece.
     */
    private static final Pattern GPT2_SPLIT =
            Pattern.compile(
                    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                    Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = bytesToUnicode();

    private ByteLevelPreTokenizer() {}

    /**
     * Passes every GPT-2 regex piece of {@code text} to {@code sink}, still as plain text. Callers
     * that count words count the raw pieces first and map only the distinct ones with {@link
     * #toByteLevel(String)}, which is much cheaper than mapping every occurrence.
     */
    static void forEachPiece(CharSequence text, Consumer<String> sink) {
        Matcher matcher = GPT2_SPLIT.matcher(text);
        while (matcher.find()) {
            sink.accept(text.subSequence(matcher.start(), matcher.end()).toString());
        }
    }

    /** Returns the byte-level words of {@code text}, in order. */
    static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        forEachPiece(text, piece -> words.add(toByteLevel(piece)));
        return words;
    }

    /** Maps the UTF-8 bytes of {@code piece} to their byte-level characters. */
    static String toByteLevel(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /**
     * The 256 single-character byte symbols ordered by character, which is the order GPT-2's
     * encoder.json and Hugging Face's trainer give them ids in ({@code !} first).
     */
    static List<String> alphabet() {
        char[] sorted = BYTE_TO_CHAR.clone();
        Arrays.sort(sorted);
        List<String> symbols = new ArrayList<>(sorted.length);
        for (char c : sorted) {
            symbols.add(String.valueOf(c));
        }
        return symbols;
    }

    /**
     * GPT-2's {@code bytes_to_unicode}: printable Latin-1 bytes map to themselves, the other 68
     * bytes (controls, space, soft hyphen...) to U+0100 onwards, so that no symbol is white space or
     * a control character. Space becomes {@code Ġ} (U+0120) and newline {@code Ċ} (U+010A).
     */
    private static char[] bytesToUnicode() {
        char[] table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            table[b] = printable ? (char) b : (char) next++;
        }
        return table;
    }
}
