package io.encoder4j.training.finetune;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.tasks.ClassificationDataset;
import io.encoder4j.datasets.tasks.ClassificationExample;
import io.encoder4j.datasets.tasks.LabelMap;
import io.encoder4j.models.HeadConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the head learns for each row of a classification dataset, by problem type. Rows are encoded with a map of
 * their raw label strings ({@code labels} itself for single-label classification); this class turns a raw label
 * into the head's target:
 * <ul>
 *   <li>single-label: the class id;</li>
 *   <li>multi-label: a 0/1 vector over {@code labels}, from the names the raw label lists, separated by
 *       {@code separator};</li>
 *   <li>regression: the number the raw label is.</li>
 * </ul>
 *
 * @param labels the head's label names (classes, or the multi-label names); empty for regression
 * @param raw the map the datasets were encoded with
 */
public record ClassificationTargets(String problemType, LabelMap labels, LabelMap raw, String separator) {

    /** The head's output width. */
    public int numLabels() {
        return problemType.equals(HeadConfig.REGRESSION) ? 1 : labels.size();
    }

    /**
     * The targets of a job: the head's labels from the configured list or the training file, and the raw map over
     * the training and validation rows.
     *
     * @throws ConfigException naming the file and line of a validation label the training labels do not have
     */
    public static ClassificationTargets of(String problemType, List<String> configured, String separator,
            List<ClassificationExample> train, List<ClassificationExample> validation) {
        switch (problemType) {
            case HeadConfig.SINGLE_LABEL -> {
                LabelMap labels = configured != null ? LabelMap.of(configured) : LabelMap.fromLabels(
                        train.stream().map(ClassificationExample::label).filter(l -> l != null).toList());
                return new ClassificationTargets(problemType, labels, labels, separator);
            }
            case HeadConfig.MULTI_LABEL -> {
                Set<String> names = new LinkedHashSet<>();
                List<String> rawLabels = new ArrayList<>();
                for (ClassificationExample e : train) {
                    if (e.label() != null) {
                        rawLabels.add(e.label());
                        names.addAll(split(e.label(), separator));
                    }
                }
                LabelMap labels = configured != null ? LabelMap.of(configured) : LabelMap.fromLabels(names);
                for (List<ClassificationExample> rows : List.of(train, validation)) {
                    for (ClassificationExample e : rows) {
                        if (e.label() != null) {
                            rawLabels.add(e.label());
                            for (String name : split(e.label(), separator)) {
                                labels.id(name, e.source());
                            }
                        }
                    }
                }
                return new ClassificationTargets(problemType, labels, LabelMap.fromLabels(rawLabels), separator);
            }
            case HeadConfig.REGRESSION -> {
                List<String> values = new ArrayList<>();
                for (List<ClassificationExample> rows : List.of(train, validation)) {
                    for (ClassificationExample e : rows) {
                        if (e.label() != null) {
                            number(e.label(), e.source());
                            values.add(e.label());
                        }
                    }
                }
                return new ClassificationTargets(problemType, LabelMap.of(List.of("value")),
                        LabelMap.fromLabels(values), separator);
            }
            default -> throw new IllegalArgumentException("problem_type " + problemType);
        }
    }

    private static List<String> split(String label, String separator) {
        List<String> out = new ArrayList<>();
        for (String s : label.split(java.util.regex.Pattern.quote(separator), -1)) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }

    private static double number(String label, String where) {
        try {
            return Double.parseDouble(label.strip());
        } catch (NumberFormatException e) {
            throw new ConfigException(where + ": regression label '" + label + "' is not a number");
        }
    }

    /** Targets per row of {@code ds}, row-major (rows x {@link #width()}); NaN for unlabelled rows. */
    public float[] targets(ClassificationDataset ds) {
        int w = width();
        float[] out = new float[ds.size() * w];
        for (int r = 0; r < ds.size(); r++) {
            int id = ds.label(r);
            if (id < 0) {
                java.util.Arrays.fill(out, r * w, r * w + w, Float.NaN);
                continue;
            }
            String name = raw.name(id);
            switch (problemType) {
                case HeadConfig.SINGLE_LABEL -> out[r] = id;
                case HeadConfig.REGRESSION -> out[r] = (float) number(name, "label");
                default -> {
                    for (String n : split(name, separator)) {
                        out[r * w + labels.id(n, "label")] = 1f;
                    }
                }
            }
        }
        return out;
    }

    /** Targets per row: 1 (a class id, or a value) or the number of labels (multi-label). */
    public int width() {
        return problemType.equals(HeadConfig.MULTI_LABEL) ? labels.size() : 1;
    }
}
