package io.encoder4j.datasets.tasks.qa;

/**
 * One model input: a question with one window of its context, framed {@code <s> question </s></s> window </s>}.
 *
 * @param example index of the {@link SquadExample} in the list it was made from
 * @param inputIds the framed ids
 * @param contextStart position in {@code inputIds} of the window's first context token
 * @param charStarts for each context token of the window, its first character in the example's context
 * @param charEnds for each context token, one past its last character
 * @param startPosition training label: position of the answer's first token, 0 ({@code <s>}) when this window does not
 *     hold the whole answer or the question is unanswerable
 * @param endPosition position of the answer's last token, likewise 0
 */
public record QaFeature(int example, int[] inputIds, int contextStart, int[] charStarts, int[] charEnds,
        int startPosition, int endPosition) {

    /** Context tokens in this window. */
    public int contextLength() {
        return charStarts.length;
    }

    /** Whether {@code position} is a context token of this window. */
    public boolean isContext(int position) {
        return position >= contextStart && position < contextStart + charStarts.length;
    }

    /** The first context character of the token at {@code position} (a context position). */
    public int charStart(int position) {
        return charStarts[position - contextStart];
    }

    /** One past the last context character of the token at {@code position}. */
    public int charEnd(int position) {
        return charEnds[position - contextStart];
    }

    /** Whether the training label points at an answer (not at {@code <s>}). */
    public boolean hasAnswer() {
        return startPosition != 0;
    }
}
