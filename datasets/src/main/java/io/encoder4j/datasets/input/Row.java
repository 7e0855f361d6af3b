package io.encoder4j.datasets.input;

import java.nio.file.Path;
import java.util.Map;

/**
 * One row of a table file, with where it came from.
 *
 * @param file the file
 * @param line the 1-based line the row starts on
 * @param fields column name to value; JSON numbers and booleans are given as their text, nested values as JSON
 */
public record Row(Path file, long line, Map<String, String> fields) {

    /** The value of {@code column}, or {@code null} if the row has none. */
    public String get(String column) {
        return fields.get(column);
    }

    /** {@code file: line N}, for messages. */
    public String where() {
        return file + ": line " + line;
    }
}
