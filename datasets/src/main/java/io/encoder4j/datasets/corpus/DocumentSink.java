package io.encoder4j.datasets.corpus;

/** Receives a corpus's documents in order: text to tokenise, or ids already tokenised. */
public interface DocumentSink {

    /** A document's text. */
    void text(String document);

    /** A document given as token ids (an {@code input_ids} column). */
    void tokens(int[] ids);
}
