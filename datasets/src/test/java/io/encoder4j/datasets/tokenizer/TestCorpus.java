package io.encoder4j.datasets.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** English text from the shared corpus (Project Gutenberg), found from any module directory. */
final class TestCorpus {

    private static final Path RELATIVE = Path.of("shared", "data", "corpus", "gutenberg13.txt");
    private static String text;

    private TestCorpus() {}

    /**
     * The corpus lies in {@code shared/} beside the repository; Surefire runs in the module
     * directory, so walk up from there until a directory holds it.
     */
    static Path file() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(RELATIVE);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("No " + RELATIVE + " in " + start + " or any parent directory");
    }

    /** The characters [from, to) of the corpus. */
    static synchronized String slice(int from, int to) {
        if (text == null) {
            try {
                text = Files.readString(file(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return text.substring(from, to);
    }

    /**
     * The lines of {@code slice(from, to)} with their line endings, the documents Hugging Face's
     * trainer makes of a text file.
     */
    static List<String> lines(int from, int to) {
        String slice = slice(from, to);
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < slice.length()) {
            int end = slice.indexOf('\n', start);
            end = end < 0 ? slice.length() : end + 1;
            lines.add(slice.substring(start, end));
            start = end;
        }
        return lines;
    }
}
