package io.encoder4j.datasets.tasks.listops;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.input.BadRows;
import io.encoder4j.datasets.input.TableFormat;
import io.encoder4j.datasets.input.TableReader;
import io.encoder4j.datasets.tasks.ClassificationDataset;
import io.encoder4j.datasets.tasks.LabelMap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads an LRA ListOps TSV ({@code Source<TAB>Target} with a header) as a ten-class {@link ClassificationDataset}:
 * each expression is tokenised with {@link ListOpsVocabulary} and framed {@code <s> ... </s>} (cut to
 * {@code maxLength}), the labels are the values 0-9 (label names "0".."9"). Batches are then padded dynamically like
 * any classification batch.
 */
public final class ListOpsDataset {

    /** The ten ListOps classes. */
    public static final LabelMap LABELS = LabelMap.of(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));

    private ListOpsDataset() {}

    /** Reads {@code file}; a row with an unknown token or a target outside 0-9 goes to {@code bad}. */
    public static ClassificationDataset load(Path file, int maxLength, BadRows bad) {
        if (maxLength < 3) {
            throw new ConfigException("max_length must be at least 3, got " + maxLength);
        }
        List<int[]> sequences = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        TableReader.read(file, TableFormat.TSV, null, bad, row -> {
            String source = row.get("Source");
            String target = row.get("Target");
            if (source == null || target == null) {
                throw new ConfigException(file + ": not a ListOps TSV (expected the header Source<TAB>Target)");
            }
            int[] ids;
            try {
                ids = ListOpsVocabulary.encode(source);
            } catch (IllegalArgumentException e) {
                bad.report(file, row.line(), e.getMessage());
                return;
            }
            String t = target.strip();
            if (!t.matches("[0-9]")) {
                bad.report(file, row.line(), "target '" + target + "' is not a digit 0-9");
                return;
            }
            int n = Math.min(ids.length, maxLength - 2);
            int[] framed = new int[n + 2];
            framed[0] = ListOpsVocabulary.BOS;
            System.arraycopy(ids, 0, framed, 1, n);
            framed[n + 1] = ListOpsVocabulary.EOS;
            sequences.add(framed);
            labels.add(Integer.parseInt(t));
        });
        bad.logSummary(file.toString());
        if (sequences.isEmpty()) {
            throw new ConfigException(file + ": no ListOps examples");
        }
        return ClassificationDataset.of(sequences.toArray(int[][]::new),
                labels.stream().mapToInt(Integer::intValue).toArray(), LABELS, ListOpsVocabulary.PAD);
    }
}
