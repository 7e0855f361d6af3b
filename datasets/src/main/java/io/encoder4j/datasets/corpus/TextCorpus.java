package io.encoder4j.datasets.corpus;

import io.encoder4j.core.config.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A plain-text corpus: UTF-8 {@code .txt} files (or directories of them), where a document is a run of non-blank
 * lines. Hard-wrapped lines of a document are joined with single spaces, as the shared Gutenberg texts wrap prose at
 * about 70 columns.
 */
public final class TextCorpus {

    private final List<Path> files;

    private TextCorpus(List<Path> files) {
        this.files = List.copyOf(files);
    }

    /**
     * Resolves the configured paths (files, or directories searched recursively for {@code *.txt}).
     *
     * @param key the config key that named the paths, for error messages
     */
    public static TextCorpus of(String key, List<String> paths) {
        if (paths == null || paths.isEmpty()) {
            throw new ConfigException(key + ": no corpus path given");
        }
        List<Path> files = new ArrayList<>();
        for (String p : paths) {
            Path path = Path.of(p);
            if (Files.isDirectory(path)) {
                try (Stream<Path> walk = Files.walk(path)) {
                    walk.filter(f -> Files.isRegularFile(f) && f.toString().endsWith(".txt")).sorted()
                            .forEach(files::add);
                } catch (IOException e) {
                    throw new ConfigException(key + ": cannot list " + path + ": " + e.getMessage(), e);
                }
            } else if (Files.isRegularFile(path)) {
                files.add(path);
            } else {
                throw new ConfigException(key + ": corpus path '" + p + "' does not exist (resolved against "
                        + Path.of("").toAbsolutePath() + ")");
            }
        }
        if (files.isEmpty()) {
            throw new ConfigException(key + ": no .txt files under " + String.join(", ", paths));
        }
        return new TextCorpus(files);
    }

    public List<Path> files() {
        return files;
    }

    /** SHA-256 over the files' contents, in order: the same text gives the same fingerprint wherever it lives. */
    public String contentHash() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path f : files) {
                sha.update(Files.readAllBytes(f));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * All documents, in file order.
     *
     * @param key the config key naming the corpus, for error messages
     * @throws ConfigException if a file is not UTF-8 or the corpus holds no text
     */
    public List<String> documents(String key) {
        List<String> docs = new ArrayList<>();
        for (Path f : files) {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(f))).toString();
            } catch (CharacterCodingException e) {
                throw new ConfigException(key + ": " + f + " is not valid UTF-8 text", e);
            } catch (IOException e) {
                throw new ConfigException(key + ": cannot read " + f + ": " + e.getMessage(), e);
            }
            splitDocuments(text, docs);
        }
        if (docs.isEmpty()) {
            throw new ConfigException(key + ": the corpus is empty (no non-blank lines in "
                    + files.stream().map(Path::toString).reduce((a, b) -> a + ", " + b).orElse("") + ")");
        }
        return docs;
    }

    /** Splits on blank lines and joins the lines of each paragraph with single spaces. */
    static void splitDocuments(String text, List<String> out) {
        StringBuilder doc = new StringBuilder();
        for (String line : text.split("\\R", -1)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                if (doc.length() > 0) {
                    out.add(doc.toString());
                    doc.setLength(0);
                }
            } else {
                if (doc.length() > 0) {
                    doc.append(' ');
                }
                doc.append(trimmed);
            }
        }
        if (doc.length() > 0) {
            out.add(doc.toString());
        }
    }
}
