package io.encoder4j.datasets.tokenizer;

import java.text.Normalizer;
import java.util.function.Consumer;

/**
 * The text handling of BERT's WordPiece tokenizers, as Hugging Face {@code tokenizers} does it, so that a trainer
 * counts the same words the written {@code tokenizer.json} will later produce: the {@code BertNormalizer} (drop
 * control characters, map whitespace to spaces, put spaces around CJK ideographs, optionally lowercase and strip
 * accents) and the {@code BertPreTokenizer} (split at whitespace; every punctuation character is a word of its own).
 */
final class BertPreTokenizer {

    private BertPreTokenizer() {}

    /** BertNormalizer with clean_text and handle_chinese_chars on, strip_accents following {@code lowercase}. */
    static String normalize(String text, boolean lowercase) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c == 0 || c == 0xFFFD || isControl(c)) {
                continue;
            }
            if (isWhitespace(c)) {
                sb.append(' ');
            } else if (isChinese(c)) {
                sb.append(' ').appendCodePoint(c).append(' ');
            } else {
                sb.appendCodePoint(c);
            }
        }
        String out = sb.toString();
        if (lowercase) {
            // strip_accents: decompose, then drop the combining marks (category Mn).
            String decomposed = Normalizer.normalize(out, Normalizer.Form.NFD);
            StringBuilder stripped = new StringBuilder(decomposed.length());
            for (int i = 0; i < decomposed.length(); ) {
                int c = decomposed.codePointAt(i);
                i += Character.charCount(c);
                if (Character.getType(c) != Character.NON_SPACING_MARK) {
                    stripped.appendCodePoint(c);
                }
            }
            out = stripped.toString().toLowerCase(java.util.Locale.ROOT);
        }
        return out;
    }

    /** Sends the words of normalized {@code text}: runs of non-space, non-punctuation, and single punctuation marks. */
    static void forEachWord(String text, Consumer<String> sink) {
        int start = -1;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            int n = Character.charCount(c);
            if (isWhitespace(c) || isPunctuation(c)) {
                if (start >= 0) {
                    sink.accept(text.substring(start, i));
                    start = -1;
                }
                if (isPunctuation(c)) {
                    sink.accept(text.substring(i, i + n));
                }
            } else if (start < 0) {
                start = i;
            }
            i += n;
        }
        if (start >= 0) {
            sink.accept(text.substring(start));
        }
    }

    static boolean isWhitespace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || Character.isWhitespace(c)
                || Character.getType(c) == Character.SPACE_SEPARATOR;
    }

    private static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') {
            return false;
        }
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE
                || type == Character.UNASSIGNED || type == Character.SURROGATE;
    }

    /** ASCII punctuation (BERT counts $, +, <, =, >, ^, `, |, ~ as punctuation too) or Unicode category P*. */
    static boolean isPunctuation(int c) {
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) {
            return true;
        }
        int type = Character.getType(c);
        return type == Character.CONNECTOR_PUNCTUATION || type == Character.DASH_PUNCTUATION
                || type == Character.START_PUNCTUATION || type == Character.END_PUNCTUATION
                || type == Character.INITIAL_QUOTE_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION
                || type == Character.OTHER_PUNCTUATION;
    }

    /** The CJK Unified Ideographs blocks BERT pads with spaces. */
    private static boolean isChinese(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }
}
