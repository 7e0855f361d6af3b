package io.encoder4j.training.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.training.optim.AdamW;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * {@code encoder4j bench model}: masked-LM training throughput (tokens per second of forward + backward + optimizer
 * step) and peak memory of whole models, per preset, variant, depth and sequence length.
 *
 * <p>Presets are model files ({@code configs/models/*.yaml} by default): an {@link EncoderConfig} at the top level,
 * or a job file whose {@code model:} section is one. By default every preset is shrunk to a tiny size (hidden 64,
 * 2 heads, 2 layers, vocabulary 1000) while its attention spec, position encoding, feed-forward type and the rest are
 * kept, so that the comparison is about the architecture rather than the width (a preset whose attention is a list
 * longer than 2 keeps that many layers); {@code --preset-size} keeps the
 * preset's own sizes. {@code max_position_embeddings} is set to fit each length (and an axial table's shape derived
 * for it), since a benchmark measures cost, not trained weights.
 *
 * <p>Variants: {@code standard} (the preset as it is), {@code reversible} (pre-LN reversible layers that recompute
 * their activations, {@code pre_norm: true, reversible: true}) and {@code reversible-stored} (the same two-stream
 * model with ordinary autograd that stores every activation): the last two have the same parameters and gradients,
 * so their difference is the memory the recomputation saves, at the cost of a second forward pass per layer.
 *
 * <p>A step draws nothing: the (B, N) input, its masked positions (15%) and labels are made once per run with a
 * fixed seed. Per run: up to 3 untimed warm-up steps (fewer once they took 2 s), which also create the gradient
 * buffers, then {@code repeats} timed steps (the median is reported) and one step whose peak memory is measured by
 * {@link PeakMemory}; parameters, gradients and optimizer moments exist before it and are not counted. Method in
 * {@code docs/layers.md}.
 */
public final class ModelBenchmark {

    public static final String MARKDOWN = "model.md";
    public static final String JSON = "model.json";
    public static final String DEFAULT_PRESETS = "configs/models/*.yaml";

    public static final String STANDARD = "standard";
    public static final String REVERSIBLE = "reversible";
    public static final String REVERSIBLE_STORED = "reversible-stored";
    public static final List<String> VARIANTS = List.of(STANDARD, REVERSIBLE, REVERSIBLE_STORED);

    static final int SEED = 42;
    /** The tiny depth, unless the preset's attention list is longer. */
    static final int TINY_LAYERS = 2;
    private static final int WARM_UP_PASSES = 3;
    private static final double WARM_UP_SECONDS = 2;
    private static final double MASK_FRACTION = 0.15;
    private static final ObjectMapper JSON_MAPPER = new ObjectMapper();

    private ModelBenchmark() {}

    /**
     * What to measure.
     *
     * @param presets preset files or globs of their file names
     * @param lengths sequence lengths N
     * @param layers depths; empty: 2 (or the length of the preset's attention list when longer), or the preset's own
     *     with {@code presetSize}
     * @param hidden tiny hidden size (ignored with {@code presetSize})
     * @param heads tiny number of heads (ignored with {@code presetSize})
     * @param intermediate tiny feed-forward width, {@code null} for 4 x hidden (ignored with {@code presetSize})
     * @param vocab tiny vocabulary (ignored with {@code presetSize})
     * @param batch sequences per step
     * @param repeats timed steps
     * @param variants of {@link #VARIANTS}
     * @param sets {@code key=value} overrides of every model config, applied last
     * @param presetSize keep the presets' own sizes
     * @param out output directory
     */
    public record Settings(List<String> presets, List<Integer> lengths, List<Integer> layers, int hidden, int heads,
            Integer intermediate, int vocab, int batch, int repeats, List<String> variants, List<String> sets,
            boolean presetSize, Path out) {

        public Settings {
            presets = presets == null || presets.isEmpty() ? List.of(DEFAULT_PRESETS) : List.copyOf(presets);
            lengths = lengths == null ? List.of() : List.copyOf(lengths);
            layers = layers == null ? List.of() : List.copyOf(layers);
            variants = variants == null || variants.isEmpty() ? List.of(STANDARD) : List.copyOf(variants);
            sets = sets == null ? List.of() : List.copyOf(sets);
        }

        public static Settings defaults() {
            return new Settings(List.of(DEFAULT_PRESETS), List.of(512, 4096), List.of(), 64, 2, null, 1000, 1, 3,
                    List.of(STANDARD), List.of(), false, Path.of("runs/bench/model"));
        }
    }

    /** Outcome of one run. */
    public enum Status {
        OK, SKIPPED, FAILED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One row of the report.
     *
     * @param layers the depth, or {@code null} when the run failed before its config was known
     * @param tokensPerSecond B N over the median step time
     * @param ms median step time in milliseconds
     * @param peakMib peak memory growth of one step in MiB, {@code null} when not measured
     * @param parameters number of parameters of the model
     */
    public record Result(String preset, String variant, Integer layers, int length, Status status,
            Double tokensPerSecond, Double ms, List<Double> timesMs, Double peakMib, Long parameters, String reason) {}

    /** A preset: its name (the file name without extension), file and config as written. */
    record Preset(String name, Path file, EncoderConfig config) {}

    /** A job file's {@code model:} section; its other sections are not read. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record ModelSection(EncoderConfig model) {}

    /** Runs every (preset, variant, depth, length), printing rows as they come, and writes the report. */
    public static List<Result> run(Settings s, PrintWriter out) throws IOException {
        List<Integer> lengths = check(s);
        List<Preset> presets = new ArrayList<>();
        for (Path file : presetFiles(s.presets())) {
            presets.add(new Preset(nameOf(file), file, load(file, List.of())));
        }
        Path dir = s.out();
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
            Map<String, Object> machine = new LinkedHashMap<>(AttentionBenchmark.machine(manager));
            // glibc keeps freed heap memory resident unless large blocks are mmapped (see docs/layers.md).
            machine.put("malloc_mmap_threshold", System.getenv("MALLOC_MMAP_THRESHOLD_"));
            out.println("Model benchmark: " + describe(s) + "; " + machine.get("cores") + " cores, PyTorch "
                    + machine.get("engine_version") + " on " + manager.getDevice());
            out.println("Step: masked-LM forward + backward + AdamW step; time: median of " + s.repeats()
                    + " steps after up to " + WARM_UP_PASSES + " warm-up steps. Memory: "
                    + memory.method().description() + ".");
            out.println();
            out.println(tableHeader());
            out.flush();
            Report report = new Report(s, lengths, presets, machine, memory.method());
            for (Preset preset : presets) {
                for (String variant : s.variants()) {
                    for (Integer depth : depths(s, preset)) {
                        String failedAt = null;
                        for (int n : lengths) {
                            Result r = failedAt != null
                                    ? new Result(preset.name(), variant, depth, n, Status.SKIPPED, null, null,
                                            List.of(), null, null, "failed at length " + failedAt)
                                    : measure(preset, variant, depth, n, s, manager, memory);
                            if (r.status() == Status.FAILED) {
                                failedAt = String.valueOf(n);
                            }
                            results.add(r);
                            out.println(tableRow(r));
                            out.flush();
                            report.write(dir, results);
                        }
                    }
                }
            }
            report.write(dir, results);
        }
        out.println();
        out.println("Wrote " + dir.resolve(MARKDOWN) + ", " + dir.resolve(JSON));
        out.flush();
        return results;
    }

    /** Checks the settings; returns the sorted lengths. */
    static List<Integer> check(Settings s) {
        if (s.lengths().isEmpty()) {
            throw new ConfigException("--lengths: give at least one sequence length");
        }
        TreeSet<Integer> lengths = new TreeSet<>();
        for (Integer n : s.lengths()) {
            if (n == null || n < 2) {
                throw new ConfigException("--lengths: lengths must be at least 2, got " + n);
            }
            lengths.add(n);
        }
        for (Integer l : s.layers()) {
            if (l == null || l < 1) {
                throw new ConfigException("--layers: depths must be positive, got " + l);
            }
        }
        positive("--hidden", s.hidden());
        positive("--heads", s.heads());
        positive("--vocab", s.vocab());
        positive("--batch", s.batch());
        positive("--repeats", s.repeats());
        if (s.intermediate() != null) {
            positive("--intermediate", s.intermediate());
        }
        if (s.vocab() < 6) {
            throw new ConfigException("--vocab must be at least 6 (5 special tokens and one word), got " + s.vocab());
        }
        if (s.hidden() % s.heads() != 0) {
            throw new ConfigException("--hidden " + s.hidden() + " must be divisible by --heads " + s.heads());
        }
        for (String v : s.variants()) {
            if (!VARIANTS.contains(v)) {
                throw new ConfigException("--variants: unknown variant '" + v + "' (known: "
                        + String.join(", ", VARIANTS) + ")");
            }
        }
        for (String set : s.sets()) {
            int eq = set.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set " + set + ": expected KEY=VALUE, e.g. feed_forward_chunk_size=64");
            }
        }
        return List.copyOf(lengths);
    }

    private static void positive(String option, int value) {
        if (value < 1) {
            throw new ConfigException(option + " must be positive, got " + value);
        }
    }

    private static List<Integer> depths(Settings s, Preset preset) {
        if (!s.layers().isEmpty()) {
            return s.layers();
        }
        // A list of attention specs may not be longer than the stack (ModernBERT's 3-layer pattern needs 3 layers).
        return List.of(s.presetSize() ? preset.config().numLayers()
                : Math.max(TINY_LAYERS, preset.config().attention().size()));
    }

    /** The preset files: each entry a file, or a glob in its last path component ({@code configs/models/*.yaml}). */
    static List<Path> presetFiles(List<String> patterns) {
        List<Path> files = new ArrayList<>();
        for (String pattern : patterns) {
            Path path = Path.of(pattern);
            String name = path.getFileName() == null ? "" : path.getFileName().toString();
            if (name.chars().noneMatch(c -> "*?[{".indexOf(c) >= 0)) {
                if (!Files.isRegularFile(path)) {
                    throw new ConfigException("--presets: " + pattern + ": no such file");
                }
                files.add(path);
                continue;
            }
            Path parent = path.getParent() == null ? Path.of(".") : path.getParent();
            List<Path> matched = new ArrayList<>();
            if (Files.isDirectory(parent)) {
                try (DirectoryStream<Path> stream = Files.newDirectoryStream(parent, name)) {
                    for (Path p : stream) {
                        if (Files.isRegularFile(p)) {
                            matched.add(p);
                        }
                    }
                } catch (IOException e) {
                    throw new ConfigException("--presets: cannot list " + parent + ": " + e.getMessage(), e);
                }
            }
            if (matched.isEmpty()) {
                throw new ConfigException("--presets: no file matches " + pattern
                        + (Files.isDirectory(parent) ? "" : " (" + parent + " is not a directory)"));
            }
            matched.sort(null);
            files.addAll(matched);
        }
        return files;
    }

    private static String nameOf(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /**
     * Reads a preset: an {@link EncoderConfig} at the top level, or the {@code model:} section of a job file. Errors
     * name the file, line and key, as any config's.
     */
    static EncoderConfig load(Path file, List<String> overrides) {
        boolean section = false;
        try {
            JsonNode root = ConfigLoader.mapper().readTree(Files.readString(file));
            section = root != null && root.isObject() && root.get("model") != null && root.get("model").isObject();
        } catch (IOException e) {
            // Unreadable or invalid YAML: ConfigLoader reports it with the file and line.
        }
        if (!section) {
            return ConfigLoader.load(file, EncoderConfig.class, overrides);
        }
        List<String> prefixed = overrides.stream().map(o -> "model." + o).collect(Collectors.toList());
        EncoderConfig config = ConfigLoader.load(file, ModelSection.class, prefixed).model();
        if (config == null) {
            throw new ConfigException(file + ": the model section is empty");
        }
        return config;
    }

    /** The overrides that turn a preset into the config of one run. */
    static List<String> overrides(Settings s, Preset preset, String variant, int depth, int length) {
        List<String> o = new ArrayList<>();
        if (!s.presetSize()) {
            o.add("hidden_size=" + s.hidden());
            o.add("num_heads=" + s.heads());
            o.add("intermediate_size=" + (s.intermediate() == null ? 4 * s.hidden() : s.intermediate()));
            o.add("vocab_size=" + s.vocab());
            // An axial split of the preset's width does not fit the tiny one: split the tiny width evenly.
            o.add("axial_pos_embds_dim=");
        } else if (preset.config().vocabSize() == null) {
            o.add("vocab_size=" + s.vocab());
        }
        o.add("num_layers=" + depth);
        o.add("max_position_embeddings=" + (length + preset.config().padTokenId() + 1));
        // Derived for the length (n1 n2 must cover it).
        o.add("axial_pos_shape=");
        if (!variant.equals(STANDARD)) {
            o.add("pre_norm=true");
            o.add("reversible=true");
        }
        o.addAll(s.sets());
        return o;
    }

    private static Result measure(Preset preset, String variant, int depth, int n, Settings s, NDManager base,
            PeakMemory memory) {
        EncoderConfig config;
        try {
            config = load(preset.file(), overrides(s, preset, variant, depth, n));
        } catch (ConfigException e) {
            return new Result(preset.name(), variant, depth, n, Status.FAILED, null, null, List.of(), null, null,
                    e.getMessage());
        }
        try (NDManager manager = base.newSubManager()) {
            Engine.getInstance().setRandomSeed(SEED);
            MaskedLmModel model = MaskedLmModel.create(config, manager);
            model.encoder().setRecomputeActivations(!variant.equals(REVERSIBLE_STORED));
            long parameters = 0;
            for (Pair<String, Parameter> p : model.getParameters()) {
                parameters += p.getValue().getArray().getShape().size();
            }
            Batch batch = Batch.of(manager, s.batch(), n, config.vocabSize());
            ParameterStore ps = new ParameterStore(manager, false);
            try (AdamW optimizer = new AdamW(model.getParameters(), manager, 0.9f, 0.98f, 1e-6f, 0.01f, 1f)) {
                double warmMs = 0;
                for (int w = 0; w < WARM_UP_PASSES && warmMs < WARM_UP_SECONDS * 1000; w++) {
                    warmMs += step(model, ps, optimizer, batch);
                }
                List<Double> times = new ArrayList<>();
                for (int r = 0; r < s.repeats(); r++) {
                    times.add(step(model, ps, optimizer, batch));
                }
                long peak = memory.measure(() -> step(model, ps, optimizer, batch));
                double ms = AttentionBenchmark.median(times);
                return new Result(preset.name(), variant, depth, n, Status.OK, s.batch() * (double) n / (ms / 1000),
                        ms, List.copyOf(times), peak < 0 ? null : peak / (1024.0 * 1024.0), parameters, null);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            return new Result(preset.name(), variant, depth, n, Status.FAILED, null, null, List.of(), null, null,
                    AttentionBenchmark.reason(e));
        }
    }

    /** The fixed input of a run: (B, N) ids without padding, 15% of positions to predict and their labels. */
    private record Batch(NDArray ids, NDArray mask, NDArray positions, NDArray labels) {

        static Batch of(NDManager manager, int b, int n, int vocab) {
            Random random = new Random(SEED);
            long[] ids = new long[b * n];
            for (int i = 0; i < ids.length; i++) {
                // Ids 0..4 are the specials (<s>, <pad>, </s>, <unk>, <mask>); 1 would be taken for padding.
                ids[i] = i % n == 0 ? 0 : i % n == n - 1 ? 2 : 5 + random.nextInt(vocab - 5);
            }
            int m = Math.max(1, (int) Math.round(MASK_FRACTION * b * n));
            List<Long> all = new ArrayList<>();
            for (long i = 0; i < (long) b * n; i++) {
                all.add(i);
            }
            java.util.Collections.shuffle(all, random);
            long[] positions = all.subList(0, m).stream().mapToLong(Long::longValue).sorted().toArray();
            long[] labels = new long[m];
            for (int i = 0; i < m; i++) {
                labels[i] = ids[(int) positions[i]];
                ids[(int) positions[i]] = 4;
            }
            return new Batch(manager.create(ids, new Shape(b, n)), manager.ones(new Shape(b, n)),
                    manager.create(positions), manager.create(labels));
        }
    }

    /**
     * One training step: forward and backward in an {@link NDScope} (so its arrays are freed after it), then the
     * optimizer step, whose gradient norm is read on the host (a sync, and a check that the step was finite).
     *
     * @return milliseconds
     */
    private static double step(MaskedLmModel model, ParameterStore ps, AdamW optimizer, Batch batch) {
        long start = System.nanoTime();
        try (NDScope scope = new NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            scope.suppressNotUsedWarning();
            NDArray logits = model.maskedLogits(ps, batch.ids(), batch.mask(), batch.positions(), true);
            model.encoder().backward(collector, MaskedLmModel.loss(logits, batch.labels()));
        }
        float norm = optimizer.step(1e-4f, true);
        double ms = (System.nanoTime() - start) / 1e6;
        if (!Float.isFinite(norm)) {
            throw new IllegalStateException("non-finite gradient norm " + norm);
        }
        return ms;
    }

    // ---------------------------------------------------------------- report

    static String tableHeader() {
        return "| preset | variant | layers | length | tokens/s | step (ms) | peak memory (MiB) | parameters | status |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|---|";
    }

    static String tableRow(Result r) {
        String status = r.status().label() + (r.reason() == null ? "" : ": " + r.reason());
        return "| " + r.preset() + " | " + r.variant() + " | " + (r.layers() == null ? "–" : r.layers()) + " | "
                + r.length() + " | "
                + (r.tokensPerSecond() == null ? "–" : String.format(Locale.ROOT, "%,.0f", r.tokensPerSecond()))
                + " | " + AttentionBenchmark.formatMs(r.ms()) + " | " + AttentionBenchmark.formatMb(r.peakMib())
                + " | " + (r.parameters() == null ? "–" : String.format(Locale.ROOT, "%,d", r.parameters())) + " | "
                + status.replace("|", "\\|") + " |";
    }

    private static String describe(Settings s) {
        String size = s.presetSize() ? "preset sizes" : "tiny sizes: hidden " + s.hidden() + ", " + s.heads()
                + " heads, feed-forward " + (s.intermediate() == null ? 4 * s.hidden() : s.intermediate())
                + ", vocabulary " + s.vocab();
        return size + ", batch " + s.batch() + ", float32";
    }

    /** The command line that repeats this benchmark. */
    static String commandLine(Settings s, List<Integer> lengths) {
        StringBuilder b = new StringBuilder("bin/encoder4j bench model");
        b.append(" --presets ").append(String.join(",", s.presets()));
        b.append(" --lengths ").append(lengths.stream().map(String::valueOf).collect(Collectors.joining(",")));
        if (!s.layers().isEmpty()) {
            b.append(" --layers ").append(s.layers().stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        if (s.presetSize()) {
            b.append(" --preset-size");
        } else {
            b.append(" --hidden ").append(s.hidden()).append(" --heads ").append(s.heads());
            if (s.intermediate() != null) {
                b.append(" --intermediate ").append(s.intermediate());
            }
        }
        b.append(" --vocab ").append(s.vocab());
        b.append(" --batch ").append(s.batch()).append(" --repeats ").append(s.repeats());
        b.append(" --variants ").append(String.join(",", s.variants()));
        for (String set : s.sets()) {
            b.append(" --set ").append(set);
        }
        b.append(" --out ").append(s.out());
        return b.toString();
    }

    /** The written report: {@code model.md} and {@code model.json}. */
    private record Report(Settings settings, List<Integer> lengths, List<Preset> presets, Map<String, Object> machine,
            PeakMemory.Method memory) {

        void write(Path dir, List<Result> results) throws IOException {
            writeAtomically(dir.resolve(JSON), json(results));
            writeAtomically(dir.resolve(MARKDOWN), markdown(results));
        }

        private static void writeAtomically(Path file, String text) throws IOException {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }

        private String json(List<Result> results) throws JsonProcessingException {
            ObjectNode root = JSON_MAPPER.createObjectNode();
            root.put("benchmark", "model");
            root.put("command", commandLine(settings, lengths));
            root.set("machine", JSON_MAPPER.valueToTree(machine));
            ObjectNode st = root.putObject("settings");
            ArrayNode lengthsNode = st.putArray("lengths");
            lengths.forEach(lengthsNode::add);
            ArrayNode layers = st.putArray("layers");
            settings.layers().forEach(layers::add);
            st.put("preset_size", settings.presetSize());
            if (!settings.presetSize()) {
                st.put("hidden", settings.hidden());
                st.put("heads", settings.heads());
                st.put("intermediate", settings.intermediate() == null ? 4 * settings.hidden()
                        : settings.intermediate());
            }
            st.put("vocab", settings.vocab());
            st.put("batch", settings.batch());
            st.put("repeats", settings.repeats());
            st.put("dtype", "float32");
            st.put("seed", SEED);
            ArrayNode variants = st.putArray("variants");
            settings.variants().forEach(variants::add);
            ArrayNode sets = st.putArray("sets");
            settings.sets().forEach(sets::add);
            ObjectNode presetsNode = st.putObject("presets");
            for (Preset p : presets) {
                ObjectNode node = presetsNode.putObject(p.name());
                node.put("file", p.file().toString());
                node.set("config", ConfigLoader.mapper().valueToTree(p.config()));
            }
            root.put("step", "masked-LM forward + backward (TransformerEncoder.backward) + AdamW step, 15% of "
                    + "positions predicted, no padding, training mode");
            root.put("time_method", "median of the timed steps (System.nanoTime, ending after a host read of the "
                    + "gradient norm)");
            root.put("memory_method", memory.description());
            root.put("memory_method_id", memory.name().toLowerCase(Locale.ROOT));
            ArrayNode rows = root.putArray("results");
            for (Result r : results) {
                ObjectNode row = rows.addObject();
                row.put("preset", r.preset());
                row.put("variant", r.variant());
                row.put("layers", r.layers());
                row.put("length", r.length());
                row.put("status", r.status().label());
                row.put("tokens_per_second", r.tokensPerSecond());
                row.put("ms", r.ms());
                ArrayNode times = row.putArray("times_ms");
                r.timesMs().forEach(times::add);
                row.put("peak_mib", r.peakMib());
                row.put("parameters", r.parameters());
                row.put("reason", r.reason());
            }
            return JSON_MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        }

        private String markdown(List<Result> results) {
            StringBuilder b = new StringBuilder();
            b.append("# Model benchmark\n\n");
            b.append("```\n").append(commandLine(settings, lengths)).append("\n```\n\n");
            AttentionBenchmark.appendMachine(b, machine);
            b.append("- models: ").append(describe(settings)).append("; each preset's attention spec, position ")
                    .append("encoding and layer options kept; max_position_embeddings set to fit each length\n");
            b.append("- step: masked-LM forward + backward + AdamW step on one fixed batch (no padding, 15% of ")
                    .append("positions predicted); tokens/s = batch x length / median step time over ")
                    .append(settings.repeats()).append(" steps after up to 3 warm-up steps\n");
            b.append("- memory: ").append(memory.description()).append("; parameters, gradients and optimizer ")
                    .append("moments exist before the step and are not counted; MALLOC_MMAP_THRESHOLD_ ")
                    .append(machine.get("malloc_mmap_threshold") == null ? "not set (glibc's dynamic threshold)"
                            : "= " + machine.get("malloc_mmap_threshold"))
                    .append("\n");
            b.append("- variants: `standard` = the preset; `reversible` = pre-LN reversible layers recomputing ")
                    .append("activations in the backward pass; `reversible-stored` = the same model with stored ")
                    .append("activations\n");
            b.append("- presets:\n");
            for (Preset p : presets) {
                b.append("  - `").append(p.name()).append("` (").append(p.file()).append(")\n");
            }
            b.append('\n').append(tableHeader()).append('\n');
            for (Result r : results) {
                b.append(tableRow(r)).append('\n');
            }
            return b.toString();
        }
    }
}
