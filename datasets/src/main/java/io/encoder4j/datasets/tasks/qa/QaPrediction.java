package io.encoder4j.datasets.tasks.qa;

/**
 * The answer predicted for one question.
 *
 * @param id the question id
 * @param text the answer, a substring of the context; empty when the model predicts "no answer" (v2.0)
 * @param start its start in the context ({@code String} index), -1 for no answer
 * @param score start logit + end logit of the chosen span (of {@code <s>} for no answer)
 */
public record QaPrediction(String id, String text, int start, double score) {}
