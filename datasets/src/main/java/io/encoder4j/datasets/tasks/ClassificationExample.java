package io.encoder4j.datasets.tasks;

/**
 * One labelled text (or text pair) as read from a file.
 *
 * @param text the text
 * @param textPair the second text of a pair task, or null
 * @param label the label name as written in the file, or null in an unlabelled (test) file
 * @param source {@code file: line N}, for messages
 */
public record ClassificationExample(String text, String textPair, String label, String source) {}
