package io.encoder4j.training.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.attention.AttentionBuild;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.attention.AttentionContext;
import io.encoder4j.core.attention.AttentionRegistry;
import io.encoder4j.core.attention.FullAttention;
import io.encoder4j.core.attention.GlobalAttention;
import io.encoder4j.core.attention.SelfAttention;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.core.config.Suggestions;
import io.encoder4j.training.run.CurvePlot;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code encoder4j bench attention}: forward+backward time and peak memory of one attention block (projections
 * included) per mechanism and sequence length, each also as a ratio to full attention measured in the same run.
 *
 * <p>For every (mechanism, length) the block runs up to three untimed warm-up steps (fewer once they took 2 s), {@code repeats} timed steps (the median
 * is reported) and one step whose peak memory is measured (see {@link PeakMemory}). A step draws a random
 * (B, N, E) input with an all-ones padding mask, runs the block in training mode inside a gradient collector, takes
 * the sum of the output as the loss, back-propagates, and reads one value of the input's gradient so that the
 * clock stops only when the whole backward pass has finished. Every array of a step lives in an {@link NDScope}
 * closed after it; parameters and their gradient buffers exist before the step and are not counted.
 *
 * <p>Full attention is always measured (it is the reference), except above {@code fullMaxLength} where its N x N
 * matrices do not fit; ratios are given only at lengths where it ran. A run that throws (out of memory, an engine
 * error) is recorded as failed with its one-line reason, and the longer lengths of that mechanism are skipped.
 * Results are written to {@code attention.md} and {@code attention.json} after each measurement, the plots at the
 * end. The method is described in {@code docs/benchmarks.md}.
 */
public final class AttentionBenchmark {

    public static final String MARKDOWN = "attention.md";
    public static final String JSON = "attention.json";
    public static final String TIME_PLOT = "attention-time.png";
    public static final String MEMORY_PLOT = "attention-memory.png";

    /** The reference every mechanism is compared with. */
    public static final String REFERENCE = FullAttention.NAME;

    /**
     * The settings each mechanism is benchmarked with unless {@code --set} says otherwise (the targets of the
     * efficient-attention issue); a key is applied only when the registered type takes it.
     */
    static final Map<String, Map<String, Object>> BENCH_DEFAULTS = Map.of(
            "sliding_window", Map.of("window", 256),
            "blockwise", Map.of("num_blocks", 3),
            "linformer", Map.of("projected_length", 256),
            "performer", Map.of("num_features", 256),
            "nystrom", Map.of("num_landmarks", 64),
            "bigbird", orderedMap("block_size", 64, "num_random_blocks", 3),
            "lsh", Map.of());

    /** Untimed passes before the timed ones (fewer when they take longer than {@link #WARM_UP_SECONDS}). */
    static final int WARM_UP_PASSES = 3;
    static final double WARM_UP_SECONDS = 2;

    /** Seeds the parameters of every block and the random inputs, so that two runs draw the same numbers. */
    static final int SEED = 42;

    private static final double GIB = 1024.0 * 1024.0 * 1024.0;

    private static final ObjectMapper JSON_MAPPER = new ObjectMapper();

    private AttentionBenchmark() {}

    /**
     * What to measure.
     *
     * @param lengths sequence lengths N
     * @param mechanisms registry names, or {@code null}/empty for every registered mechanism; full attention is
     *     always added as the reference
     * @param hidden model width E
     * @param heads attention heads
     * @param batch sequences per step
     * @param repeats timed steps after the warm-up
     * @param sets {@code type.key=value} settings of the mechanisms
     * @param out output directory
     * @param fullMaxLength longest length full attention is run at
     * @param memoryLimitGb skip a run whose peak, extrapolated quadratically from the mechanism's previous length,
     *     would exceed this many GiB (0: no limit)
     */
    public record Settings(List<Integer> lengths, List<String> mechanisms, int hidden, int heads, int batch,
            int repeats, List<String> sets, Path out, int fullMaxLength, double memoryLimitGb) {

        public Settings {
            lengths = lengths == null ? List.of() : List.copyOf(lengths);
            mechanisms = mechanisms == null ? List.of() : List.copyOf(mechanisms);
            sets = sets == null ? List.of() : List.copyOf(sets);
        }

        /** The defaults of the command line. */
        public static Settings defaults() {
            return new Settings(List.of(512, 1024, 2048, 4096, 8192, 16384), List.of(), 256, 4, 1, 3, List.of(),
                    Path.of("runs/bench/attention"), 8192, 0);
        }
    }

    /** Outcome of one (mechanism, length). */
    public enum Status {
        OK, SKIPPED, FAILED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One row of the report.
     *
     * @param ms median forward+backward time in milliseconds, or {@code null} when it did not run
     * @param timesMs every timed repeat
     * @param peakMib peak memory growth in MiB, or {@code null} when it did not run or cannot be measured
     * @param timeRatio {@code ms} over full attention's at the same length, or {@code null}
     * @param memoryRatio {@code peakMib} over full attention's at the same length, or {@code null}
     * @param reason why it was skipped or failed, else {@code null}
     */
    public record Result(String mechanism, int length, Status status, Double ms, List<Double> timesMs, Double peakMib,
            Double timeRatio, Double memoryRatio, String reason) {}

    /** The checked settings: sorted lengths, mechanisms (reference first) and the config of each. */
    record Plan(List<Integer> lengths, Map<String, AttentionConfig> configs, int shortestLength) {}

    /** Runs the benchmark, printing a markdown table to {@code out} as results come in, and writes the report. */
    public static List<Result> run(Settings settings, PrintWriter out) throws IOException {
        Plan plan = plan(settings);
        Path dir = settings.out();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ConfigException("--out: " + dir + " exists and is not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ConfigException("--out: cannot create " + dir + ": " + e.getMessage(), e);
        }
        PeakMemory memory = PeakMemory.detect(Engine.getInstance().defaultDevice());
        List<Result> results = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, Object> machine = machine(manager);
            out.println("Attention benchmark: " + describeSettings(settings) + "; " + machine.get("cores") + " cores, "
                    + "PyTorch " + machine.get("engine_version") + " on " + manager.getDevice());
            out.println("Time: median of " + settings.repeats() + " forward+backward passes after up to "
                    + WARM_UP_PASSES + " warm-up passes. Memory: " + memory.method().description() + ".");
            out.println();
            out.println(tableHeader());
            out.flush();
            Report report = new Report(settings, plan, machine, memory.method());
            Map<Integer, Result> reference = new LinkedHashMap<>();
            for (Map.Entry<String, AttentionConfig> e : plan.configs().entrySet()) {
                runMechanism(e.getKey(), e.getValue(), settings, plan, manager, memory, reference, result -> {
                    results.add(result);
                    out.println(tableRow(result));
                    out.flush();
                    report.write(dir, results);
                });
            }
            report.write(dir, results);
            plot(dir.resolve(TIME_PLOT), "forward+backward time of one attention block (" + shapeLabel(settings)
                    + ")", "time (ms, median)", results, true);
            plot(dir.resolve(MEMORY_PLOT), "peak memory of one forward+backward (" + shapeLabel(settings) + ")",
                    "peak memory growth (MiB)", results, false);
        }
        out.println();
        out.println("Wrote " + dir.resolve(MARKDOWN) + ", " + dir.resolve(JSON) + ", " + dir.resolve(TIME_PLOT)
                + ", " + dir.resolve(MEMORY_PLOT));
        out.flush();
        return results;
    }

    /** Checks the settings and builds each mechanism's config; every problem is a one-line {@link ConfigException}. */
    static Plan plan(Settings s) {
        if (s.lengths().isEmpty()) {
            throw new ConfigException("--lengths: give at least one sequence length");
        }
        TreeSet<Integer> lengths = new TreeSet<>();
        for (Integer n : s.lengths()) {
            if (n == null || n < 1) {
                throw new ConfigException("--lengths: lengths must be positive, got " + n);
            }
            lengths.add(n);
        }
        positive("--hidden", s.hidden());
        positive("--heads", s.heads());
        positive("--batch", s.batch());
        positive("--repeats", s.repeats());
        if (s.fullMaxLength() < 0) {
            throw new ConfigException("--full-max-length must be >= 0, got " + s.fullMaxLength());
        }
        if (!(s.memoryLimitGb() >= 0)) {
            throw new ConfigException("--memory-limit-gb must be >= 0 (0: no limit), got " + s.memoryLimitGb());
        }
        if (s.hidden() % s.heads() != 0) {
            throw new ConfigException("--hidden " + s.hidden() + " must be divisible by --heads " + s.heads());
        }
        // Every length builds its block with that length as the maximum, so settings must fit the shortest.
        int maxLength = lengths.first();

        Set<String> mechanisms = new LinkedHashSet<>();
        mechanisms.add(REFERENCE);
        List<String> asked = s.mechanisms().isEmpty() ? List.copyOf(AttentionRegistry.names()) : s.mechanisms();
        for (String name : asked) {
            mechanisms.add(requireRegistered("--mechanisms", name.trim()));
        }

        Map<String, Map<String, Object>> sets = new LinkedHashMap<>();
        for (String set : s.sets()) {
            parseSet(set, sets);
        }

        Map<String, AttentionConfig> configs = new LinkedHashMap<>();
        for (String type : mechanisms) {
            Map<String, Object> values = new LinkedHashMap<>();
            values.put("dropout", 0.0);
            for (Map.Entry<String, Object> d : BENCH_DEFAULTS.getOrDefault(type, Map.of()).entrySet()) {
                if (takesKey(type, d.getKey(), d.getValue())) {
                    values.put(d.getKey(), d.getValue());
                }
            }
            Map<String, Object> given = sets.getOrDefault(type, Map.of());
            values.putAll(given);
            AttentionConfig config;
            try {
                config = config(type, values);
                config.validateFor(s.hidden(), s.heads(), maxLength, 1);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(type + ": " + firstLine(e) + " (benchmark settings " + values
                        + "; change them with --set " + type + ".KEY=VALUE)", e);
            }
            configs.put(type, config);
        }
        return new Plan(List.copyOf(lengths), configs, maxLength);
    }

    private static void positive(String option, int value) {
        if (value < 1) {
            throw new ConfigException(option + " must be positive, got " + value);
        }
    }

    private static String requireRegistered(String option, String name) {
        if (!AttentionRegistry.names().contains(name)) {
            throw new ConfigException(option + ": unknown attention mechanism '" + name + "'"
                    + Suggestions.didYouMean(name, AttentionRegistry.names())
                    + " (known: " + String.join(", ", AttentionRegistry.names()) + ")");
        }
        return name;
    }

    /** Parses {@code type.key=value} (the value as YAML, as job overrides are) and checks it on its own. */
    private static void parseSet(String set, Map<String, Map<String, Object>> sets) {
        int eq = set.indexOf('=');
        int dot = eq < 0 ? -1 : set.lastIndexOf('.', eq);
        if (eq < 0 || dot <= 0 || dot == eq - 1) {
            throw new ConfigException("--set " + set + ": expected TYPE.KEY=VALUE, e.g. sliding_window.window=128");
        }
        String type = set.substring(0, dot).trim();
        String key = set.substring(dot + 1, eq).trim();
        String raw = set.substring(eq + 1).trim();
        requireRegistered("--set " + set, type);
        Set<String> known = configKeys();
        if (!known.contains(key)) {
            throw new ConfigException("--set " + set + ": unknown attention key '" + key + "'"
                    + Suggestions.didYouMean(key, known) + " (attention keys: " + String.join(", ", known) + ")");
        }
        Object value;
        try {
            JsonNode node = raw.isEmpty() ? null : ConfigLoader.mapper().readTree(raw);
            value = node == null ? raw : ConfigLoader.mapper().treeToValue(node, Object.class);
        } catch (JsonProcessingException e) {
            value = raw;
        }
        try {
            config(type, Map.of(key, value));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--set " + set + ": " + firstLine(e), e);
        }
        sets.computeIfAbsent(type, t -> new LinkedHashMap<>()).put(key, value);
    }

    /** Whether {@code type} accepts {@code key} (AttentionConfig rejects keys of other types). */
    private static boolean takesKey(String type, String key, Object value) {
        try {
            config(type, Map.of(key, value));
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static AttentionConfig config(String type, Map<String, Object> values) {
        List<Object> keyValues = new ArrayList<>();
        values.forEach((k, v) -> {
            keyValues.add(k);
            keyValues.add(v);
        });
        return AttentionConfig.of(type, keyValues.toArray());
    }

    /** The snake_case keys of an attention config besides {@code type}. */
    private static Set<String> configKeys() {
        Set<String> keys = new TreeSet<>();
        for (RecordComponent c : AttentionConfig.class.getRecordComponents()) {
            String snake = c.getName().replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT);
            if (!snake.equals("type")) {
                keys.add(snake);
            }
        }
        return keys;
    }

    /** Receives each result as soon as it is known. */
    @FunctionalInterface
    private interface ResultSink {
        void accept(Result result) throws IOException;
    }

    /** Measures one mechanism at every length, handing each result to {@code sink} as soon as it is known. */
    private static void runMechanism(String type, AttentionConfig config, Settings s, Plan plan, NDManager base,
            PeakMemory memory, Map<Integer, Result> reference, ResultSink sink) throws IOException {
        boolean isReference = type.equals(REFERENCE);
        try (NDManager manager = base.newSubManager()) {
            int failedAt = -1;
            int lastLength = -1;
            long lastPeak = -1;
            for (int n : plan.lengths()) {
                String skip = null;
                if (isReference && n > s.fullMaxLength()) {
                    skip = "N > --full-max-length " + s.fullMaxLength();
                } else if (failedAt > 0) {
                    skip = "failed at length " + failedAt;
                } else if (s.memoryLimitGb() > 0 && lastPeak > 0) {
                    double predicted = lastPeak * Math.pow((double) n / lastLength, 2) / GIB;
                    if (predicted > s.memoryLimitGb()) {
                        skip = String.format(Locale.ROOT, "predicted peak %.3g GiB (quadratic growth from length %d) "
                                + "> --memory-limit-gb %s", predicted, lastLength, formatNumber(s.memoryLimitGb()));
                    }
                }
                Result result;
                if (skip != null) {
                    result = new Result(type, n, Status.SKIPPED, null, List.of(), null, null, null, skip);
                } else {
                    // Each length gets its own block built for that length as the model's maximum, as a model
                    // for N-token documents would be (BlockBERT blocks and BigBird random blocks are laid out
                    // over the maximum length).
                    try (NDManager lengthManager = manager.newSubManager()) {
                        Engine.getInstance().setRandomSeed(SEED);
                        SelfAttention block = AttentionRegistry.create(
                                AttentionBuild.of(config, s.hidden(), s.heads(), n));
                        block.initialize(lengthManager, DataType.FLOAT32, new Shape(s.batch(), n, s.hidden()),
                                new Shape(s.batch(), n), new Shape(s.batch(), 1, 1, n));
                        ParameterStore ps = new ParameterStore(lengthManager, false);
                        Shape shape = new Shape(s.batch(), n, s.hidden());
                        // Warm-up: first-call allocations, lazy buffers, and JIT compilation of the Java side,
                        // which dominates short lengths: up to WARM_UP_PASSES passes while under WARM_UP_SECONDS.
                        double warmMs = 0;
                        for (int w = 0; w < WARM_UP_PASSES && warmMs < WARM_UP_SECONDS * 1000; w++) {
                            warmMs += step(block, ps, lengthManager, shape, null)[0];
                        }
                        List<Double> times = new ArrayList<>();
                        for (int r = 0; r < s.repeats(); r++) {
                            times.add(step(block, ps, lengthManager, shape, null)[0]);
                        }
                        long peak = (long) step(block, ps, lengthManager, shape, memory)[1];
                        result = new Result(type, n, Status.OK, median(times), List.copyOf(times),
                                peak < 0 ? null : peak / (1024.0 * 1024.0), null, null, null);
                        lastLength = n;
                        lastPeak = peak;
                    } catch (RuntimeException | OutOfMemoryError e) {
                        failedAt = n;
                        result = new Result(type, n, Status.FAILED, null, List.of(), null, null, null, reason(e));
                    }
                }
                sink.accept(withRatios(result, reference, isReference));
            }
        }
    }

    /**
     * One forward+backward step on a fresh random input.
     *
     * @param memory measures the peak of this step when not {@code null}
     * @return {milliseconds, peak bytes (-1 when not measured)}
     */
    private static double[] step(SelfAttention block, ParameterStore ps, NDManager manager, Shape shape,
            PeakMemory memory) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            // Input and masks are made before the clock starts: the encoder builds the context once for all layers.
            NDArray x = manager.randomNormal(shape);
            x.setRequiresGradient(true);
            // Global attention gets one global token per sequence, <s> at position 0, as a classifier places it.
            NDArray padding = manager.ones(new Shape(shape.get(0), shape.get(1)));
            NDArray global = null;
            if (block instanceof GlobalAttention) {
                float[] first = new float[(int) (shape.get(0) * shape.get(1))];
                for (int b = 0; b < shape.get(0); b++) {
                    first[(int) (b * shape.get(1))] = 1f;
                }
                global = manager.create(first, padding.getShape());
            }
            AttentionContext ctx = AttentionContext.fromMasks(padding, global, DataType.FLOAT32);
            long[] nanos = new long[1];
            Runnable work = () -> {
                long start = System.nanoTime();
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray y = block.attend(ps, x, ctx, true);
                    collector.backward(y.sum());
                }
                // Reading a value of the input's gradient is a host sync: the backward pass has finished.
                float g = x.getGradient().getFloat(0, 0, 0);
                nanos[0] = System.nanoTime() - start;
                if (!Float.isFinite(g)) {
                    throw new IllegalStateException("non-finite input gradient " + g);
                }
            };
            long peak = -1;
            if (memory == null) {
                work.run();
            } else {
                peak = memory.measure(work);
            }
            return new double[] {nanos[0] / 1e6, peak};
        }
    }

    private static Result withRatios(Result r, Map<Integer, Result> reference, boolean isReference) {
        if (isReference) {
            reference.put(r.length(), r);
        }
        Result ref = reference.get(r.length());
        if (r.status() != Status.OK || ref == null || ref.status() != Status.OK) {
            return r;
        }
        return new Result(r.mechanism(), r.length(), r.status(), r.ms(), r.timesMs(), r.peakMib(),
                ratio(r.ms(), ref.ms()), ratio(r.peakMib(), ref.peakMib()), r.reason());
    }

    private static Double ratio(Double value, Double ref) {
        return value == null || ref == null || !(ref > 0) ? null : value / ref;
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    /** The exception's first line, with its class for errors that are not self-explanatory. */
    static String reason(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("").trim();
        String text = e.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
        return text.length() > 300 ? text.substring(0, 297) + "..." : text;
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().findFirst().orElse(message);
    }

    // ---------------------------------------------------------------- report

    static String tableHeader() {
        return "| mechanism | length | time (ms) | time / full | peak memory (MiB) | memory / full | status |\n"
                + "|---|---:|---:|---:|---:|---:|---|";
    }

    static String tableRow(Result r) {
        String status = r.status().label() + (r.reason() == null ? "" : ": " + r.reason());
        return "| " + r.mechanism() + " | " + r.length() + " | " + formatMs(r.ms()) + " | " + formatRatio(r.timeRatio())
                + " | " + formatMb(r.peakMib()) + " | " + formatRatio(r.memoryRatio()) + " | "
                + status.replace("|", "\\|") + " |";
    }

    static String formatMs(Double ms) {
        if (ms == null) {
            return "–";
        }
        return String.format(Locale.ROOT, ms >= 100 ? "%.0f" : ms >= 10 ? "%.1f" : ms >= 1 ? "%.2f" : "%.3f", ms);
    }

    static String formatMb(Double mb) {
        return mb == null ? "–" : String.format(Locale.ROOT, "%.1f", mb);
    }

    private static String formatRatio(Double ratio) {
        return ratio == null ? "–" : String.format(Locale.ROOT, "%.2f", ratio);
    }

    private static String formatNumber(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static String shapeLabel(Settings s) {
        return "hidden " + s.hidden() + ", " + s.heads() + " heads, batch " + s.batch();
    }

    private static String describeSettings(Settings s) {
        return shapeLabel(s) + ", float32";
    }

    /** The command line that repeats this benchmark. */
    static String commandLine(Settings s, Plan plan) {
        StringBuilder b = new StringBuilder("bin/encoder4j bench attention");
        b.append(" --lengths ").append(plan.lengths().stream().map(String::valueOf).collect(Collectors.joining(",")));
        b.append(" --mechanisms ").append(String.join(",", plan.configs().keySet()));
        b.append(" --hidden ").append(s.hidden()).append(" --heads ").append(s.heads());
        b.append(" --batch ").append(s.batch()).append(" --repeats ").append(s.repeats());
        b.append(" --full-max-length ").append(s.fullMaxLength());
        if (s.memoryLimitGb() > 0) {
            b.append(" --memory-limit-gb ").append(formatNumber(s.memoryLimitGb()));
        }
        for (String set : s.sets()) {
            b.append(" --set ").append(set);
        }
        b.append(" --out ").append(s.out());
        return b.toString();
    }

    /** The date, machine and software lines of a report, as markdown list items. */
    static void appendMachine(StringBuilder b, Map<String, Object> machine) {
        b.append("- date: ").append(machine.get("date")).append('\n');
        b.append("- machine: ").append(machine.get("cores")).append(" cores");
        if (machine.get("cpu") != null) {
            b.append(" (").append(machine.get("cpu")).append(')');
        }
        if (machine.get("memory_gib") != null) {
            b.append(", ").append(machine.get("memory_gib")).append(" GiB memory");
        }
        b.append(", ").append(machine.get("os")).append('\n');
        b.append("- software: Java ").append(machine.get("java")).append(", DJL ").append(machine.get("djl"))
                .append(", ").append(machine.get("engine")).append(' ').append(machine.get("engine_version"))
                .append(" on ").append(machine.get("device")).append(", torch threads ")
                .append(machine.get("torch_threads")).append('\n');
    }

    static Map<String, Object> machine(NDManager manager) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpu", firstValue(Path.of("/proc/cpuinfo"), "model name"));
        String memTotal = firstValue(Path.of("/proc/meminfo"), "MemTotal");
        if (memTotal != null) {
            try {
                m.put("memory_gib", Math.round(Long.parseLong(memTotal.split("\\s+")[0]) / 1048576.0 * 10) / 10.0);
            } catch (NumberFormatException e) {
                m.put("memory_gib", null);
            }
        }
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        m.put("djl", Engine.getDjlVersion());
        m.put("engine", Engine.getInstance().getEngineName());
        m.put("engine_version", Engine.getInstance().getVersion());
        m.put("device", manager.getDevice().toString());
        m.put("torch_threads", System.getProperty("ai.djl.pytorch.num_threads", "engine default"));
        return m;
    }

    /** The value after the first {@code key :} line of a /proc file, or {@code null}. */
    private static String firstValue(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                    return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException | SecurityException | java.io.UncheckedIOException e) {
            return null;
        }
        return null;
    }

    /** The written report: {@code attention.md} and {@code attention.json}. */
    private record Report(Settings settings, Plan plan, Map<String, Object> machine, PeakMemory.Method memory) {

        void write(Path dir, List<Result> results) throws IOException {
            Files.writeString(dir.resolve(JSON), json(results));
            Files.writeString(dir.resolve(MARKDOWN), markdown(results));
        }

        private String json(List<Result> results) throws JsonProcessingException {
            ObjectNode root = JSON_MAPPER.createObjectNode();
            root.put("benchmark", "attention");
            root.put("command", commandLine(settings, plan));
            root.set("machine", JSON_MAPPER.valueToTree(machine));
            ObjectNode st = root.putObject("settings");
            ArrayNode lengths = st.putArray("lengths");
            plan.lengths().forEach(lengths::add);
            ArrayNode mechanisms = st.putArray("mechanisms");
            plan.configs().keySet().forEach(mechanisms::add);
            st.put("hidden", settings.hidden());
            st.put("heads", settings.heads());
            st.put("batch", settings.batch());
            st.put("dtype", "float32");
            st.put("warmup", 1);
            st.put("repeats", settings.repeats());
            st.put("full_max_length", settings.fullMaxLength());
            st.put("memory_limit_gb", settings.memoryLimitGb());
            st.put("max_length", "each length");
            st.put("seed", SEED);
            ObjectNode configs = st.putObject("configs");
            plan.configs().forEach((name, config) -> configs.set(name, ConfigLoader.mapper().valueToTree(config)));
            root.put("time_method", "median of the timed repeats of one forward+backward pass (System.nanoTime, "
                    + "ending after a host read of the input gradient)");
            root.put("memory_method", memory.description());
            root.put("memory_method_id", memory.name().toLowerCase(Locale.ROOT));
            ArrayNode rows = root.putArray("results");
            for (Result r : results) {
                ObjectNode row = rows.addObject();
                row.put("mechanism", r.mechanism());
                row.put("length", r.length());
                row.put("status", r.status().label());
                row.put("ms", r.ms());
                ArrayNode times = row.putArray("times_ms");
                r.timesMs().forEach(times::add);
                row.put("peak_mib", r.peakMib());
                row.put("time_ratio", r.timeRatio());
                row.put("memory_ratio", r.memoryRatio());
                row.put("reason", r.reason());
            }
            return JSON_MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        }

        private String markdown(List<Result> results) {
            StringBuilder b = new StringBuilder();
            b.append("# Attention benchmark\n\n");
            b.append("```\n").append(commandLine(settings, plan)).append("\n```\n\n");
            appendMachine(b, machine);
            b.append("- block: one attention block with its query, key, value and output projections, ")
                    .append(shapeLabel(settings)).append(", float32, random N(0, 1) input, no padding, training ")
                    .append("mode with dropout 0, each length with a block built for that length as the model's ")
                    .append("maximum\n");
            b.append("- time: median of ").append(settings.repeats()).append(" forward+backward passes (loss = sum ")
                    .append("of the output) after up to 3 warm-up passes (fewer once they took 2 s); the clock stops ")
                    .append("after a host read of the input gradient\n");
            b.append("- memory: ").append(memory.description()).append("; parameters and their gradients are ")
                    .append("allocated before and not counted\n");
            b.append("- ratios: to full attention at the same length in this run; full attention is skipped above ")
                    .append(settings.fullMaxLength()).append(" tokens (--full-max-length), where no ratio is given\n");
            b.append("- mechanisms:\n");
            plan.configs().forEach((name, config) -> b.append("  - `").append(name).append("`: `")
                    .append(ConfigLoader.mapper().valueToTree(config).toString()).append("`\n"));
            b.append('\n').append(tableHeader()).append('\n');
            for (Result r : results) {
                b.append(tableRow(r)).append('\n');
            }
            b.append("\n![time](").append(TIME_PLOT).append(")\n\n![memory](").append(MEMORY_PLOT).append(")\n");
            return b.toString();
        }
    }

    /**
     * A log-log plot of time or memory against the length, one line per mechanism (runs that did not finish left
     * out). Both axes are drawn in log2 units labelled with the plain values: xchart's own log axes label decades
     * only, which leaves a benchmark's powers of two without a single label.
     */
    private static void plot(Path file, String title, String yTitle, List<Result> results, boolean time)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title)
                .xAxisTitle("sequence length (tokens, log scale)").yAxisTitle(yTitle + ", log scale").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setXAxisTickLabelsFormattingFunction(v -> String.format(Locale.ROOT, "%.0f",
                Math.pow(2, v)));
        chart.getStyler().setYAxisTickLabelsFormattingFunction(v -> String.format(Locale.ROOT, "%.3g",
                Math.pow(2, v)));
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (Result r : results) {
            Double y = time ? r.ms() : r.peakMib();
            List<double[]> points = series.computeIfAbsent(r.mechanism(), k -> new ArrayList<>());
            // A zero (a peak below the resolution of the page counts) has no logarithm.
            if (r.status() == Status.OK && y != null && y > 0) {
                points.add(new double[] {log2(r.length()), log2(y)});
            }
        }
        boolean any = false;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            if (!e.getValue().isEmpty()) {
                double[] xs = e.getValue().stream().mapToDouble(p -> p[0]).toArray();
                double[] ys = e.getValue().stream().mapToDouble(p -> p[1]).toArray();
                chart.addSeries(e.getKey(), xs, ys).setMarker(SeriesMarkers.CIRCLE);
                any = true;
            }
        }
        if (!any) {
            chart.setTitle(title + ": no data");
        }
        CurvePlot.writePng(chart, file);
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    private static Map<String, Object> orderedMap(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(map);
    }
}
