package io.encoder4j.training.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
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
 * inspected. Rows carry {@code step}, {@code split} ({@code train} or {@code eval}) and their metrics; non-finite
 * values are written as {@code null} (JSON has no NaN). Every numeric series is also kept in memory for the plots.
 *
 * <p>A resumed run {@linkplain #resume reopens} the file cut back to its length at the checkpoint, so rows that the
 * interrupted run wrote after its last checkpoint, and that the resumed run writes again, appear once.
 */
public final class MetricsLog implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final OutputStream out;
    private long bytes;
    private final Map<String, Map<String, List<double[]>>> series = new LinkedHashMap<>();

    private MetricsLog(OutputStream out, long bytes) {
        this.out = out;
        this.bytes = bytes;
    }

    /** A new file; fails if it exists. */
    public static MetricsLog create(Path file) throws IOException {
        return new MetricsLog(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 0);
    }

    /** The existing file cut to its first {@code length} bytes, its rows read back, then appended to. */
    public static MetricsLog resume(Path file, long length) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) < length) {
            throw new IOException(file + " is missing or shorter (" + (Files.exists(file) ? Files.size(file) : 0)
                    + " bytes) than at the checkpoint (" + length + " bytes)");
        }
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.truncate(length);
            c.force(true);
        }
        MetricsLog log = new MetricsLog(Files.newOutputStream(file, StandardOpenOption.APPEND), length);
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                log.remember(JSON.readTree(line));
            }
        }
        return log;
    }

    /** Writes a row; {@code metrics} keeps its insertion order after {@code step} and {@code split}. */
    public void log(long step, String split, Map<String, ?> metrics) throws IOException {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.put("split", split);
        for (Map.Entry<String, ?> e : metrics.entrySet()) {
            Object v = e.getValue();
            boolean nonFinite = (v instanceof Double d && !Double.isFinite(d)) || (v instanceof Float f && !Float.isFinite(f));
            row.put(e.getKey(), nonFinite ? null : v);
        }
        byte[] line = (JSON.writeValueAsString(row) + "\n").getBytes(StandardCharsets.UTF_8);
        out.write(line);
        out.flush();
        bytes += line.length;
        remember(JSON.valueToTree(row));
    }

    private void remember(JsonNode row) {
        long step = row.get("step").asLong();
        String split = row.get("split").asText();
        for (Map.Entry<String, JsonNode> e : row.properties()) {
            if (e.getValue().isNumber() && !e.getKey().equals("step")) {
                series.computeIfAbsent(split, s -> new LinkedHashMap<>())
                        .computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                        .add(new double[] {step, e.getValue().asDouble()});
            }
        }
    }

    /** Bytes in the file so far. */
    public long bytes() {
        return bytes;
    }

    /** (step, value) points of one metric of one split, in the order logged. */
    public List<double[]> series(String split, String metric) {
        return series.getOrDefault(split, Map.of()).getOrDefault(metric, List.of());
    }

    public List<double[]> trainLoss() {
        return series("train", "loss");
    }

    public List<double[]> evalLoss() {
        return series("eval", "loss");
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
