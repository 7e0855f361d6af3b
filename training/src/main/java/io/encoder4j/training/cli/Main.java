package io.encoder4j.training.cli;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.training.bench.AttentionBenchmark;
import io.encoder4j.training.bench.ModelBenchmark;
import io.encoder4j.training.bench.DataBenchmark;
import io.encoder4j.datasets.prepare.PrepareJobConfig;
import io.encoder4j.training.data.PrepareJob;
import io.encoder4j.training.finetune.FinetuneJob;
import io.encoder4j.training.finetune.FinetuneJobConfig;
import io.encoder4j.training.loop.CheckpointStore;
import io.encoder4j.training.loop.FileSink;
import io.encoder4j.training.loop.Trainer;
import io.encoder4j.training.loop.TrainerState;
import io.encoder4j.training.pretrain.PretrainJob;
import io.encoder4j.training.pretrain.PretrainJobConfig;
import io.encoder4j.training.run.RunDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bin/encoder4j <command> <job.yaml> [key=value ...]}, {@code bin/encoder4j resume <run-dir>} and
 * {@code bin/encoder4j bench <what> [options]}. User errors are one line on stderr (exit code 2);
 * {@code --debug} adds the stack trace.
 */
@Command(name = "encoder4j", mixinStandardHelpOptions = true, version = "encoder4j 0.1.0",
        description = "Train encoder-only language models with efficient attention.",
        subcommands = {Main.Pretrain.class, Main.Finetune.class, EvaluateCommand.class, PredictCommand.class,
                Main.Resume.class, Main.Prepare.class, Main.Bench.class,
                ConvertLongformerCommand.class, ExportCommand.class, ImportCommand.class, LogitsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    static final int USER_ERROR = 2;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Show stack traces of errors.")
    boolean debug;

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return USER_ERROR;
    }

    /** The job file and overrides common to every job command, and {@code --print-config}. */
    abstract static class JobCommand implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "JOB.yaml", description = "The YAML job file.")
        Path job;

        @Parameters(index = "1..*", paramLabel = "KEY=VALUE",
                description = "Overrides of config fields by dotted path, e.g. training.max_steps=100.")
        List<String> overrides = new ArrayList<>();

        @Option(names = "--print-config",
                description = "Print the job as resolved (includes merged, overrides applied, defaults filled) and "
                        + "exit without running it.")
        boolean printConfig;

        /** The record the job file binds to. */
        abstract Class<?> configType();

        abstract void run() throws Exception;

        @Override
        public Integer call() throws Exception {
            if (printConfig) {
                Object config = ConfigLoader.load(job, configType(), overrides);
                spec.commandLine().getOut().print(ConfigLoader.toYaml(config));
                spec.commandLine().getOut().flush();
                return 0;
            }
            run();
            return 0;
        }
    }

    @Command(name = "pretrain", mixinStandardHelpOptions = true,
            description = "Masked-LM pretraining: tokenizer, Arrow shards, training, evaluation, checkpoints, run "
                    + "directory.")
    static final class Pretrain extends JobCommand {
        @Override
        Class<?> configType() {
            return PretrainJobConfig.class;
        }

        @Override
        void run() throws Exception {
            PretrainJob.run(job, overrides);
        }
    }

    @Command(name = "finetune", mixinStandardHelpOptions = true,
            description = "Fine-tune a classification (single-label, multi-label, regression) or extractive-QA head "
                    + "on a pretrained model directory (model.pretrained) or from scratch (docs/training.md).")
    static final class Finetune extends JobCommand {
        @Override
        Class<?> configType() {
            return FinetuneJobConfig.class;
        }

        @Override
        void run() throws Exception {
            FinetuneJob.run(job, overrides);
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = {"Continue a run from its latest checkpoint, with the next batch: the result is the one "
                    + "the uninterrupted run would have reached.",
                    "Overrides apply to the config saved with the checkpoint, e.g. training.max_steps=20000 to train "
                            + "longer."})
    static final class Resume implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "RUN_DIR", description = "The run directory, e.g. runs/quickstart.")
        Path runDir;

        @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "Overrides of the saved config.")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            try (RunDirectory dir = RunDirectory.reopen(runDir)) {
                CheckpointStore store = new CheckpointStore(dir.resolve(RunDirectory.CHECKPOINTS), FileSink.FILES);
                Path checkpoint = store.latest().orElseThrow(() -> new ConfigException(runDir + ": no checkpoint in "
                        + store.dir() + "; the run stopped before its first one (training.save_every), so start it "
                        + "again with run.overwrite=true"));
                TrainerState state = Trainer.readState(checkpoint);
                switch (state.job()) {
                    case PretrainJob.KIND -> PretrainJob.resume(dir, checkpoint, overrides);
                    case FinetuneJob.KIND -> FinetuneJob.resume(dir, checkpoint, overrides);
                    default -> throw new ConfigException(checkpoint + ": written by an unknown job kind '"
                            + state.job() + "'");
                }
            }
            return 0;
        }
    }

    @Command(name = "prepare", mixinStandardHelpOptions = true,
            description = "Tokenise a corpus once into sharded Arrow files, cached by fingerprint (docs/data.md).")
    static final class Prepare extends JobCommand {
        @Option(names = "--spark", paramLabel = "MASTER",
                description = "Run on Apache Spark in local mode: local[N] (N task threads), local[*]. The same "
                        + "files as without it; a cluster takes spark-submit (docs/data.md).")
        String spark;

        @Override
        Class<?> configType() {
            return PrepareJobConfig.class;
        }

        @Override
        void run() throws Exception {
            PrepareJob.run(job, overrides, spec.commandLine().getOut(), spark);
        }
    }

    /** {@code bench <what>}: measurements that are not training runs. */
    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Benchmarks: time and memory of attention mechanisms and of whole models; speed of the data "
                    + "path.",
            subcommands = {BenchAttention.class, BenchModel.class, BenchData.class})
    static final class Bench implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getErr());
            return USER_ERROR;
        }
    }

    @Command(name = "attention", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Forward+backward time and peak memory of one attention block (projections included) per "
                    + "mechanism and sequence length, each also as a ratio to full attention measured in the same run.",
                    "Prints a markdown table and writes attention.md, attention.json, attention-time.png and "
                            + "attention-memory.png to --out. Method: docs/benchmarks.md."})
    static final class BenchAttention implements Callable<Integer> {
        private static final AttentionBenchmark.Settings DEFAULTS = AttentionBenchmark.Settings.defaults();

        @Spec
        CommandSpec spec;

        @Option(names = "--lengths", split = ",", paramLabel = "N",
                defaultValue = "512,1024,2048,4096,8192,16384",
                description = "Sequence lengths (default: ${DEFAULT-VALUE}).")
        List<Integer> lengths;

        @Option(names = "--mechanisms", split = ",", paramLabel = "NAME",
                description = "Attention registry names (default: every registered mechanism); full attention is "
                        + "always measured as the reference.")
        List<String> mechanisms = new ArrayList<>();

        @Option(names = "--hidden", paramLabel = "E", description = "Hidden size (default: ${DEFAULT-VALUE}).")
        int hidden = DEFAULTS.hidden();

        @Option(names = "--heads", paramLabel = "H", description = "Attention heads (default: ${DEFAULT-VALUE}).")
        int heads = DEFAULTS.heads();

        @Option(names = "--batch", paramLabel = "B", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
        int batch = DEFAULTS.batch();

        @Option(names = "--repeats", paramLabel = "R",
                description = "Timed repeats after 1 warm-up; the median is reported (default: ${DEFAULT-VALUE}).")
        int repeats = DEFAULTS.repeats();

        @Option(names = "--set", paramLabel = "TYPE.KEY=VALUE",
                description = "Configure a mechanism, e.g. --set sliding_window.window=128 (repeatable). Benchmark "
                        + "defaults: sliding_window window=256, linformer projected_length=256, performer "
                        + "num_features=256, nystrom num_landmarks=64, bigbird block_size=64 num_random_blocks=3, "
                        + "dropout 0.")
        List<String> sets = new ArrayList<>();

        @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).")
        Path out = DEFAULTS.out();

        @Option(names = "--full-max-length", paramLabel = "N",
                description = "Skip full attention above this length: its N x N matrices would not fit "
                        + "(default: ${DEFAULT-VALUE}).")
        int fullMaxLength = DEFAULTS.fullMaxLength();

        @Option(names = "--memory-limit-gb", paramLabel = "GB",
                description = "Skip a run whose peak memory, extrapolated quadratically from the mechanism's previous "
                        + "length, would exceed this many GiB (default: 0 = no limit).")
        double memoryLimitGb = DEFAULTS.memoryLimitGb();

        @Override
        public Integer call() throws Exception {
            AttentionBenchmark.run(new AttentionBenchmark.Settings(lengths, mechanisms, hidden, heads, batch,
                    repeats, sets, out, fullMaxLength, memoryLimitGb), spec.commandLine().getOut());
            return 0;
        }
    }

    @Command(name = "model", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Masked-LM training tokens/s (forward + backward + optimizer step) and peak memory per "
                    + "model preset, variant, depth and sequence length; tiny sizes by default, each preset's "
                    + "attention spec kept.",
                    "Prints a markdown table and writes model.md and model.json to --out. Method: docs/layers.md."})
    static final class BenchModel implements Callable<Integer> {
        private static final ModelBenchmark.Settings DEFAULTS = ModelBenchmark.Settings.defaults();

        @Spec
        CommandSpec spec;

        @Option(names = "--presets", split = ",", paramLabel = "FILE",
                description = "Preset files, or globs of their file names (default: " + ModelBenchmark.DEFAULT_PRESETS
                        + ").")
        List<String> presets = new ArrayList<>();

        @Option(names = "--lengths", split = ",", paramLabel = "N", defaultValue = "512,4096",
                description = "Sequence lengths (default: ${DEFAULT-VALUE}).")
        List<Integer> lengths;

        @Option(names = "--layers", split = ",", paramLabel = "L",
                description = "Depths to measure (default: 2, or as many as the preset's attention list has entries; "
                        + "each preset's own with --preset-size).")
        List<Integer> layers = new ArrayList<>();

        @Option(names = "--hidden", paramLabel = "E", description = "Tiny hidden size (default: ${DEFAULT-VALUE}).")
        int hidden = DEFAULTS.hidden();

        @Option(names = "--heads", paramLabel = "H", description = "Tiny attention heads (default: ${DEFAULT-VALUE}).")
        int heads = DEFAULTS.heads();

        @Option(names = "--intermediate", paramLabel = "F",
                description = "Tiny feed-forward width (default: 4 x hidden).")
        Integer intermediate;

        @Option(names = "--vocab", paramLabel = "V", description = "Tiny vocabulary (default: ${DEFAULT-VALUE}).")
        int vocab = DEFAULTS.vocab();

        @Option(names = "--preset-size", description = "Keep each preset's own sizes instead of the tiny ones.")
        boolean presetSize;

        @Option(names = "--batch", paramLabel = "B", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
        int batch = DEFAULTS.batch();

        @Option(names = "--repeats", paramLabel = "R",
                description = "Timed steps after the warm-up; the median is reported (default: ${DEFAULT-VALUE}).")
        int repeats = DEFAULTS.repeats();

        @Option(names = "--variants", split = ",", paramLabel = "NAME",
                description = "standard, reversible (pre-LN reversible layers recomputing activations), "
                        + "reversible-stored (the same model storing them) (default: standard).")
        List<String> variants = new ArrayList<>();

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "Override a model config key of every preset, e.g. --set feed_forward_chunk_size=128 "
                        + "(repeatable).")
        List<String> sets = new ArrayList<>();

        @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).")
        Path out = DEFAULTS.out();

        @Override
        public Integer call() throws Exception {
            ModelBenchmark.run(new ModelBenchmark.Settings(presets, lengths, layers, hidden, heads, intermediate, vocab,
                    batch, repeats, variants, sets, presetSize, out), spec.commandLine().getOut());
            return 0;
        }
    }

    @Command(name = "data", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Speed of the data path: preparation (cold and cached), tokenisation tokens/s, batch "
                    + "assembly batches/s, and the ratio to the tokens/s a model consumes. Method: docs/data.md."})
    static final class BenchData implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--job", paramLabel = "JOB.yaml", defaultValue = "configs/prepare-quickstart.yaml",
                description = "The prepare job to time, with an empty cache (default: ${DEFAULT-VALUE}).")
        Path job;

        @Option(names = "--batch", paramLabel = "B", defaultValue = "32",
                description = "Rows per assembled batch (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--batches", paramLabel = "K", defaultValue = "2000",
                description = "Batches to assemble (default: ${DEFAULT-VALUE}).")
        int batches;

        @Option(names = "--model-job", paramLabel = "JOB.yaml", defaultValue = "configs/quickstart.yaml",
                description = "Pretraining job whose model speed is measured with a short run "
                        + "(default: ${DEFAULT-VALUE}; 'none' to skip).")
        String modelJob;

        @Option(names = "--model-steps", paramLabel = "N", defaultValue = "30",
                description = "Training steps of that run (default: ${DEFAULT-VALUE}).")
        int modelSteps;

        @Option(names = "--model-metrics", paramLabel = "FILE",
                description = "Read the model's tokens/s from a run's summary.json or metrics.jsonl instead.")
        Path modelMetrics;

        @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/bench/data",
                description = "Output directory (default: ${DEFAULT-VALUE}).")
        Path out;

        @Override
        public Integer call() throws Exception {
            DataBenchmark.run(new DataBenchmark.Settings(job, batch, batches,
                    modelJob.equals("none") ? null : Path.of(modelJob), modelSteps, modelMetrics, out),
                    spec.commandLine().getOut());
            return 0;
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (0 success, 1 failure, 2 bad input). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)} with the given output and error streams. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        Main main = new Main();
        CommandLine cli = new CommandLine(main).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean userError = e instanceof ConfigException;
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (!userError) {
                message = e.getClass().getSimpleName() + ": " + message;
            }
            commandLine.getErr().println("error: " + message.lines().findFirst().orElse(message));
            if (main.debug) {
                e.printStackTrace(commandLine.getErr());
            } else if (!userError) {
                commandLine.getErr().println("(run with --debug for the stack trace)");
            }
            return userError ? USER_ERROR : 1;
        });
        return cli.execute(args);
    }
}
