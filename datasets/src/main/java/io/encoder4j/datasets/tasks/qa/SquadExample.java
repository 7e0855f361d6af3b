package io.encoder4j.datasets.tasks.qa;

import java.util.List;

/**
 * One SQuAD question over a context paragraph.
 *
 * @param id the question id
 * @param title the article title (SQuAD splits by article)
 * @param question the question, leading whitespace removed (as Hugging Face's run_qa does: some SQuAD questions start
 *     with spaces that would waste the window)
 * @param context the paragraph
 * @param answers the gold answers (SQuAD v1.1 dev files list several annotators); empty iff {@code impossible}
 * @param impossible whether the question has no answer in the context (SQuAD v2.0 {@code is_impossible})
 * @param source {@code file: line L, column C}, where the question starts, for messages
 */
public record SquadExample(String id, String title, String question, String context, List<SquadAnswer> answers,
        boolean impossible, String source) {

    public SquadExample {
        answers = List.copyOf(answers);
    }
}
