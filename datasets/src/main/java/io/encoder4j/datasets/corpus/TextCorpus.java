package io.encoder4j.datasets.corpus;

import io.encoder4j.datasets.input.BadRows;
import java.nio.file.Path;
import java.util.List;

/**
 * The corpus of a pretraining job's {@code data.corpus}: paths (files, directories, globs) of any format a
 * {@link Corpus} reads, every setting automatic. Plain text splits into documents at blank lines, and the hard-wrapped
 * lines of a document are joined with single spaces, as the shared Gutenberg texts wrap prose at about 70 columns.
 */
public final class TextCorpus {

    private final Corpus corpus;

    private TextCorpus(Corpus corpus) {
        this.corpus = corpus;
    }

    /**
     * Resolves the configured paths.
     *
     * @param key the config key that named the paths, for error messages
     */
    public static TextCorpus of(String key, List<String> paths) {
        return new TextCorpus(Corpus.ofPaths(key, paths));
    }

    public List<Path> files() {
        return corpus.files();
    }

    /** SHA-256 over the files' contents, in order: the same text gives the same fingerprint wherever it lives. */
    public String contentHash() {
        return corpus.contentHash();
    }

    /** The underlying multi-format corpus. */
    public Corpus corpus() {
        return corpus;
    }

    /**
     * All documents, in file order.
     *
     * @param key the config key naming the corpus, for error messages
     * @throws io.encoder4j.core.config.ConfigException naming the file and line of invalid UTF-8 or a malformed row,
     *     or if the corpus holds no text
     */
    public List<String> documents(String key) {
        return corpus.documents(key, BadRows.strict());
    }
}
