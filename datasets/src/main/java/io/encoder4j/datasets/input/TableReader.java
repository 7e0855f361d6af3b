package io.encoder4j.datasets.input;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Streams the rows of a TSV, CSV or JSONL file with their line numbers. A row that cannot be read (invalid UTF-8,
 * malformed JSON, a JSON value that is not an object, a wrong number of columns, an unterminated quote) goes to
 * {@link BadRows}, which stops with the file and line or counts it; an empty file likewise.
 *
 * <p>TSV and CSV take the column names from their first line, unless {@code columns} names them, in which case the
 * file has no header line (SST-2 as distributed in GLUE's original files: {@code label<TAB>text}).
 */
public final class TableReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TableReader() {}

    /**
     * Reads every row of {@code file}.
     *
     * @param columns the column names of a header-less TSV/CSV file, or {@code null} to read them from the first line
     */
    public static void read(Path file, TableFormat format, List<String> columns, BadRows bad, Consumer<Row> sink) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": no such file (resolved against " + Path.of("").toAbsolutePath() + ")");
        }
        try (Utf8Lines lines = Utf8Lines.open(file)) {
            long rows = switch (format) {
                case JSONL -> readJsonl(file, lines, bad, sink);
                case TSV, CSV -> readDelimited(file, lines, format == TableFormat.CSV ? ',' : '\t', columns, bad, sink);
            };
            if (rows == 0 && lines.lineNumber() == 0) {
                bad.report(file, 0, "the file is empty");
            }
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Every row of {@code file} as a list (for small task files). */
    public static List<Row> readAll(Path file, TableFormat format, List<String> columns, BadRows bad) {
        List<Row> rows = new ArrayList<>();
        read(file, format, columns, bad, rows::add);
        return rows;
    }

    private static long readJsonl(Path file, Utf8Lines lines, BadRows bad, Consumer<Row> sink) throws IOException {
        long rows = 0;
        for (Utf8Lines.Line line = lines.next(); line != null; line = lines.next()) {
            if (!line.valid()) {
                bad.report(file, line.number(), "invalid UTF-8");
                continue;
            }
            if (line.text().isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line.text());
            } catch (JsonProcessingException e) {
                bad.report(file, line.number(), "malformed JSON: " + e.getOriginalMessage().lines().findFirst()
                        .orElse(""));
                continue;
            }
            if (node == null || !node.isObject()) {
                bad.report(file, line.number(), "expected a JSON object, found "
                        + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
                continue;
            }
            Map<String, String> fields = new HashMap<>();
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                JsonNode value = field.getValue();
                if (value.isNull()) {
                    continue;
                }
                fields.put(field.getKey(), value.isValueNode() ? value.asText() : value.toString());
            }
            sink.accept(new Row(file, line.number(), fields));
            rows++;
        }
        return rows;
    }

    private static long readDelimited(Path file, Utf8Lines lines, char separator, List<String> columns, BadRows bad,
            Consumer<Row> sink) throws IOException {
        List<String> names = columns;
        long rows = 0;
        boolean quoting = separator == ',';
        Utf8Lines.Line line;
        while ((line = lines.next()) != null) {
            long start = line.number();
            if (!line.valid()) {
                bad.report(file, start, "invalid UTF-8");
                continue;
            }
            if (line.text().isEmpty()) {
                continue;
            }
            List<String> values;
            if (quoting) {
                values = parseCsv(line.text(), lines);
                if (values == null) {
                    bad.report(file, start, "unterminated quoted field (or invalid UTF-8 inside it)");
                    continue;
                }
            } else {
                values = splitTabs(line.text());
            }
            if (names == null) {
                names = values;
                if (new java.util.HashSet<>(names).size() != names.size()) {
                    throw new ConfigException(file + ": line " + start + ": the header repeats a column name: " + names);
                }
                continue;
            }
            if (values.size() != names.size()) {
                bad.report(file, start, "expected " + names.size() + " columns " + names + ", found "
                        + values.size());
                continue;
            }
            Map<String, String> fields = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                fields.put(names.get(i), values.get(i));
            }
            sink.accept(new Row(file, start, fields));
            rows++;
        }
        return rows;
    }

    private static List<String> splitTabs(String line) {
        List<String> values = new ArrayList<>();
        int start = 0;
        for (int i = line.indexOf('\t'); i >= 0; i = line.indexOf('\t', start)) {
            values.add(line.substring(start, i));
            start = i + 1;
        }
        values.add(line.substring(start));
        return values;
    }

    /**
     * RFC 4180: fields separated by commas; a field in double quotes may hold commas, line breaks and doubled quotes.
     * Returns {@code null} for a quote left open at the end of the file.
     */
    static List<String> parseCsv(String first, Utf8Lines more) throws IOException {
        List<String> values = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        String line = first;
        int i = 0;
        boolean quoted = false;
        boolean wasQuoted = false;
        while (true) {
            if (i == line.length()) {
                if (!quoted) {
                    values.add(field.toString());
                    return values;
                }
                Utf8Lines.Line next = more.next();
                if (next == null || !next.valid()) {
                    return null;
                }
                field.append('\n');
                line = next.text();
                i = 0;
                continue;
            }
            char c = line.charAt(i++);
            if (quoted) {
                if (c == '"') {
                    if (i < line.length() && line.charAt(i) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    field.append(c);
                }
            } else if (c == ',') {
                values.add(field.toString());
                field.setLength(0);
                wasQuoted = false;
            } else if (c == '"' && field.length() == 0 && !wasQuoted) {
                quoted = true;
                wasQuoted = true;
            } else {
                field.append(c);
            }
        }
    }
}
