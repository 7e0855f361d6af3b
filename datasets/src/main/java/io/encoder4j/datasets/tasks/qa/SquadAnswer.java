package io.encoder4j.datasets.tasks.qa;

/**
 * A gold answer: its text and where it starts in the context.
 *
 * @param text the answer text, equal to {@code context.substring(start, end())}
 * @param start index in the context {@code String} (UTF-16 units; SQuAD's {@code answer_start} counts code points and
 *     is converted when read)
 */
public record SquadAnswer(String text, int start) {

    /** One past the answer's last character. */
    public int end() {
        return start + text.length();
    }
}
