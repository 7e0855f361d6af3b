package io.encoder4j.training.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code metrics.jsonl}: one JSON object per logged step, flushed as written so a crashed or running job can be
 * inspected. Rows carry {@code step}, {@code split} ({@code train} or {@code eval}) and their metrics; the loss
 * series are also kept in memory for the plot.
 */
public final class MetricsLog implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter out;
    private final List<double[]> trainLoss = new ArrayList<>();
    private final List<double[]> evalLoss = new ArrayList<>();

    public MetricsLog(Path file) throws IOException {
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
    }

    /** Writes a row; {@code metrics} keeps its insertion order after {@code step} and {@code split}. */
    public void log(long step, String split, Map<String, ?> metrics) throws IOException {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.put("split", split);
        row.putAll(metrics);
        out.write(JSON.writeValueAsString(row));
        out.newLine();
        out.flush();
        Object loss = metrics.get("loss");
        if (loss instanceof Number n) {
            ("eval".equals(split) ? evalLoss : trainLoss).add(new double[] {step, n.doubleValue()});
        }
    }

    public List<double[]> trainLoss() {
        return trainLoss;
    }

    public List<double[]> evalLoss() {
        return evalLoss;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
