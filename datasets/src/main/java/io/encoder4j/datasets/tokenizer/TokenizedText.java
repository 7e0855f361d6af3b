package io.encoder4j.datasets.tokenizer;

/**
 * Token ids of a text with each token's character span in that text.
 *
 * @param ids (T) token ids, no special tokens added
 * @param starts (T) index of each token's first character, in Java {@code String} (UTF-16) units
 * @param ends (T) index one past each token's last character; byte-level BPE trims the space a token carries, so a
 *     token made only of spaces has {@code starts[i] == ends[i]}
 */
public record TokenizedText(int[] ids, int[] starts, int[] ends) {

    public int length() {
        return ids.length;
    }
}
