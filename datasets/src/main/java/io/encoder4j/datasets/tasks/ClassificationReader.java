package io.encoder4j.datasets.tasks;

import io.encoder4j.datasets.input.BadRows;
import io.encoder4j.datasets.input.Row;
import io.encoder4j.datasets.input.TableFormat;
import io.encoder4j.datasets.input.TableReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads classification examples from a TSV, CSV or JSONL file with the columns a {@link ClassificationDataConfig}
 * names. A row without its text or label (an empty label counts as missing) goes to {@link BadRows}, as do rows the
 * table reader rejects, so the error names the file and the line.
 */
public final class ClassificationReader {

    private ClassificationReader() {}

    /**
     * The examples of {@code file}.
     *
     * @param requireLabels whether every row must carry a label (false for an unlabelled test file: rows without one
     *     get a null label)
     */
    public static List<ClassificationExample> read(Path file, ClassificationDataConfig config, boolean requireLabels,
            BadRows bad) {
        TableFormat format = TableFormat.of(config.format(), file, "data.format");
        List<ClassificationExample> examples = new ArrayList<>();
        TableReader.read(file, format, config.columns(), bad, row -> {
            String text = row.get(config.textColumn());
            if (text == null) {
                bad.report(row.file(), row.line(), "no '" + config.textColumn() + "' field" + known(row));
                return;
            }
            String pair = null;
            if (config.textPairColumn() != null) {
                pair = row.get(config.textPairColumn());
                if (pair == null) {
                    bad.report(row.file(), row.line(), "no '" + config.textPairColumn() + "' field" + known(row));
                    return;
                }
            }
            String label = row.get(config.labelColumn());
            if (label != null && label.isBlank()) {
                label = null;
            }
            if (label == null && requireLabels) {
                bad.report(row.file(), row.line(), "missing label ('" + config.labelColumn() + "')" + known(row));
                return;
            }
            examples.add(new ClassificationExample(text, pair, label == null ? null : label.strip(), row.where()));
        });
        bad.logSummary(file.toString());
        return examples;
    }

    /** Reads a labelled file, stopping at the first bad row unless the config says to skip them. */
    public static List<ClassificationExample> read(Path file, ClassificationDataConfig config) {
        return read(file, config, true, new BadRows(config.skipBadRows()));
    }

    private static String known(Row row) {
        return " (the row has " + row.fields().keySet() + ")";
    }
}
