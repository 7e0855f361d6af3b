package io.encoder4j.datasets.tasks.tagging;

import java.util.List;

/**
 * One tagged sentence: its words and one tag per word ({@code tags} null when the input has none, as for
 * {@code predict}).
 *
 * @param source file and line of the sentence, for messages
 */
public record TaggedExample(List<String> words, List<String> tags, String source) {

    public TaggedExample {
        words = List.copyOf(words);
        tags = tags == null ? null : List.copyOf(tags);
    }
}
