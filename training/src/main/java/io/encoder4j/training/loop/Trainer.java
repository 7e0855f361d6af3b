package io.encoder4j.training.loop;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.core.io.FileTrees;
import io.encoder4j.core.tensor.Precision;
import io.encoder4j.training.optim.AdamW;
import io.encoder4j.training.optim.DeviceLossScale;
import io.encoder4j.training.optim.LearningRateSchedule;
import io.encoder4j.training.optim.LossScale;
import io.encoder4j.training.run.CurvePlot;
import io.encoder4j.training.run.MetricsLog;
import io.encoder4j.training.run.Progress;
import io.encoder4j.training.run.RunDirectory;
import io.encoder4j.training.run.TensorBoardWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop every job shares: optimizer steps over a {@link TrainingTask}'s micro-batches with gradient
 * accumulation, AdamW with clipping by global norm, a learning-rate schedule, evaluation every {@code eval_every}
 * steps with best-checkpoint tracking and early stopping, atomic checkpoints with rotation, exact resume, and the
 * run's outputs ({@code metrics.jsonl}, TensorBoard events, plots, {@code summary.json}, {@code model/}).
 *
 * <p><b>Device syncs.</b> The host reads from the device only at logging, evaluation and checkpoint steps. Between
 * them a step runs without reading anything back: the step loss, the finite-check and the counters of skipped steps
 * stay on the device ({@link StepAccumulators}), and a non-finite step is skipped by the optimizer on the device. The
 * price: a run that reaches {@code max_consecutive_nonfinite} is noticed at the next sync point, the model frozen
 * at its last good state in between.
 *
 * <p><b>Exact resume.</b> A checkpoint ({@code checkpoints/step-N/}) holds the model ({@code model/}, written by the
 * task), the optimizer state by parameter name ({@code optimizer.safetensors}), the resolved config
 * ({@code config.yaml}) and {@link TrainerState} ({@code trainer_state.json}: step, counters, best metric, the
 * length of {@code metrics.jsonl}). Batches are a pure function of (seed, step), and the engine's generator is
 * re-seeded from (seed, step) before every step, so a resumed run computes what the uninterrupted one did.
 *
 * @param <B> the task's micro-batch
 */
public final class Trainer<B extends MicroBatch> {

    public static final String MODEL = "model";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String CONFIG = "config.yaml";
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainingTask<B> task;
    private final TrainingConfig config;
    private final RunContext run;
    private final NDManager manager;
    private final LearningRateSchedule schedule;
    private final BestTracker best;
    private FileSink sink = FileSink.FILES;
    private CheckpointStore checkpoints;

    private long step;
    private long tokens;
    private double secondsBefore;
    private long sessionStartNanos;
    private long intervalSteps;
    private long lastSavedStep = -1;
    private long skippedSteps;
    private Map<String, Double> lastEvaluation = Map.of();
    private MetricsLog metrics;
    private TensorBoardWriter tensorBoard;
    private Progress progress;
    /** The FP16 parameters' masters and the loss scale of an {@code fp16} run; null in an {@code fp32} one. */
    private MixedPrecision mixed;
    private DeviceLossScale lossScale;
    /** The replicas of a data-parallel run ({@code training.device} a list); null on one device. */
    private DataParallel<B> parallel;

    /**
     * @param manager the manager of the task's device: the optimizer state and the loop's counters live there
     */
    public Trainer(TrainingTask<B> task, TrainingConfig config, RunContext run, NDManager manager) {
        this.task = task;
        this.config = config;
        this.run = run;
        this.manager = manager;
        this.schedule = config.learningRateSchedule();
        String name = config.bestMetric() == null ? task.defaultBestMetric() : config.bestMetric();
        Metric metric = task.metrics().stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new ConfigException("training.best_metric: " + task.name() + " reports no metric '"
                        + name + "'" + io.encoder4j.core.config.Suggestions.didYouMean(name, metricNames())
                        + "; known: " + String.join(", ", metricNames())));
        this.best = new BestTracker(metric, config.earlyStoppingThreshold(), config.earlyStoppingPatience());
        this.checkpoints = new CheckpointStore(run.dir().resolve(RunDirectory.CHECKPOINTS), sink);
    }

    private List<String> metricNames() {
        return task.metrics().stream().map(Metric::name).toList();
    }

    /** Writes checkpoints through {@code sink} instead of plain files (tests simulate a full disk with it). */
    public Trainer<B> withFileSink(FileSink sink) {
        this.sink = sink;
        this.checkpoints = new CheckpointStore(run.dir().resolve(RunDirectory.CHECKPOINTS), sink);
        return this;
    }

    /** Trains from step 0 into a fresh run directory. */
    public TrainingResult train() throws IOException {
        try (MixedPrecision precision = newMixedPrecision();
                DataParallel<B> replicas = newDataParallel();
                DeviceLossScale scale = newLossScale(null);
                AdamW optimizer = newOptimizer();
                StepAccumulators counters = new StepAccumulators(manager, config.maxConsecutiveNonfinite());
                MetricsLog log = MetricsLog.create(run.dir().resolve(RunDirectory.METRICS));
                TensorBoardWriter tb = TensorBoardWriter.open(run.dir().resolve(RunDirectory.TENSORBOARD))) {
            metrics = log;
            tensorBoard = tb;
            return loop(optimizer, counters);
        } finally {
            mixed = null;
            lossScale = null;
            parallel = null;
        }
    }

    /**
     * Continues from {@code checkpoint}, whose model the job has already loaded into the task: restores the optimizer,
     * the counters and the best metric, cuts {@code metrics.jsonl} back to the checkpoint and runs the next step.
     */
    public TrainingResult resume(Path checkpoint) throws IOException {
        TrainerState state = readState(checkpoint);
        if (!run.job().equals(state.job())) {
            throw new ConfigException(checkpoint + ": written by a '" + state.job() + "' job, not '" + run.job() + "'");
        }
        if (state.seed() != run.seed()) {
            throw new ConfigException("run.seed: " + run.seed() + " differs from the checkpoint's " + state.seed()
                    + "; a resumed run keeps its seed, so that it sees the batches the run would have seen");
        }
        if (state.step() >= config.maxSteps()) {
            throw new ConfigException("training.max_steps: the run is complete: its last checkpoint " + checkpoint
                    + " is at step " + state.step() + " of max_steps " + config.maxSteps() + " (its " + MODEL
                    + "/ holds the final weights); to train longer, resume with training.max_steps=<more>");
        }
        try (MixedPrecision precision = newMixedPrecision();
                DataParallel<B> replicas = newDataParallel();
                DeviceLossScale scale = newLossScale(state);
                AdamW optimizer = newOptimizer();
                StepAccumulators counters = new StepAccumulators(manager, config.maxConsecutiveNonfinite())) {
            Path optimizerFile = checkpoint.resolve(OPTIMIZER);
            try (InputStream in = Files.newInputStream(optimizerFile)) {
                optimizer.load(in);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(optimizerFile + ": " + e.getMessage()
                        + " (the checkpoint belongs to a different model)", e);
            }
            boolean tripped = state.consecutiveNonfinite() >= config.maxConsecutiveNonfinite();
            counters.restore(new StepAccumulators.Snapshot(state.intervalLossSum(), state.intervalGoodSteps(),
                    state.skippedSteps(), tripped ? 0 : state.consecutiveNonfinite(), false));
            if (best.metric().name().equals(state.bestMetric())) {
                best.restore(state.bestValue(), state.bestStep(), state.evaluationsWithoutImprovement());
            } else {
                LOG.info("training.best_metric changed from {} to {}: best-checkpoint tracking starts again",
                        state.bestMetric(), best.metric().name());
            }
            step = state.step();
            tokens = state.tokens();
            secondsBefore = state.trainSeconds();
            intervalSteps = state.intervalSteps();
            skippedSteps = state.skippedSteps();
            lastSavedStep = step;
            checkpoints.removeIncomplete();
            try (MetricsLog log = openMetricsForResume(state);
                    TensorBoardWriter tb = TensorBoardWriter.open(run.dir().resolve(RunDirectory.TENSORBOARD))) {
                // Events the killed run wrote after this checkpoint are superseded from step + 1 on.
                tb.sessionStart(step + 1);
                metrics = log;
                tensorBoard = tb;
                LOG.info("Resuming {} from {} at step {} of {}", run.dir().path(), checkpoint, step,
                        config.maxSteps());
                return loop(optimizer, counters);
            }
        } finally {
            mixed = null;
            lossScale = null;
            parallel = null;
        }
    }

    private MetricsLog openMetricsForResume(TrainerState state) {
        Path file = run.dir().resolve(RunDirectory.METRICS);
        try {
            return MetricsLog.resume(file, state.metricsBytes());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot continue the metrics log: " + e.getMessage(), e);
        }
    }

    /** Reads and checks {@code trainer_state.json} of a checkpoint. */
    public static TrainerState readState(Path checkpoint) {
        Path file = checkpoint.resolve(TrainerState.FILE);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(checkpoint + ": not a checkpoint (it has no " + TrainerState.FILE + ")");
        }
        TrainerState state = ConfigLoader.load(file, TrainerState.class, List.of());
        if (state.format() == null || state.format() != TrainerState.FORMAT) {
            throw new ConfigException(file + ": checkpoint format " + state.format() + ", this version reads "
                    + TrainerState.FORMAT);
        }
        return state;
    }

    /**
     * For {@code precision: fp16}: makes the task's model FP16 with FP32 masters ({@link MixedPrecision}); null for
     * fp32. Closing it (when the run ends, also by an error) leaves the FP32 masters in the model.
     */
    private MixedPrecision newMixedPrecision() {
        if (!TrainingConfig.FP16.equals(config.precision())) {
            return null;
        }
        if (!manager.getDevice().isGpu()) {
            LOG.warn("training.precision: fp16 on the CPU runs, but slowly (PyTorch's CPU FP16 kernels); it is meant "
                    + "for tests, train on a GPU");
        }
        mixed = new MixedPrecision(task.parameters(), manager);
        return mixed;
    }

    /**
     * For {@code training.device} a list: replicas of the task's model on the other devices, made after
     * {@link #newMixedPrecision} so that they copy the model in its training type; null on one device.
     */
    private DataParallel<B> newDataParallel() {
        List<Device> devices = DeviceSelection.resolveAll("training.device", config.device());
        if (devices.size() == 1) {
            return null;
        }
        DataParallel.checkRows(config.batchSize(), devices.size());
        parallel = new DataParallel<>(task, devices, manager);
        LOG.info("Data parallelism over {} devices {}: each micro-batch of {} rows is shared by all", devices.size(),
                devices, config.batchSize());
        return parallel;
    }

    /** The loss scale of an fp16 run, from the checkpoint's state when resuming one; null for fp32. */
    private DeviceLossScale newLossScale(TrainerState state) {
        if (mixed == null) {
            return null;
        }
        LossScale start = state != null && state.lossScale() != null
                ? new LossScale(state.lossScale(), state.lossScaleCleanSteps() == null ? 0 : state.lossScaleCleanSteps())
                : new LossScale(config.initialLossScale(), 0);
        lossScale = new DeviceLossScale(manager, start, config.lossScaleGrowthInterval());
        return lossScale;
    }

    private AdamW newOptimizer() {
        // Weights loaded from a file (a checkpoint, a pretrained encoder) replace the arrays DJL initialised with
        // gradients attached; the new arrays have none until asked.
        for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : task.parameters()) {
            if (p.getValue().requiresGradient() && !p.getValue().getArray().hasGradient()) {
                p.getValue().getArray().setRequiresGradient(true);
            }
        }
        return new AdamW(task.parameters(), mixed == null ? null : mixed.masters(), manager, config.adamBeta1(), config.adamBeta2(), config.adamEpsilon(),
                config.weightDecay(), config.maxGradNorm());
    }

    /** The engine seed of a step: its dropout masks depend on (seed, step) only, whatever ran before. */
    static int stepSeed(long seed, long step) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step).nextInt();
    }

    private TrainingResult loop(AdamW optimizer, StepAccumulators counters) throws IOException {
        int total = config.maxSteps();
        String stopReason = "max_steps";
        sessionStartNanos = System.nanoTime();
        long sessionStartStep = step;
        long intervalStart = sessionStartNanos;
        long intervalTokens = 0;
        try (NDManager host = manager.getDevice().isGpu()
                        ? manager.getEngine().newBaseManager(Device.cpu()) : manager.newSubManager();
                Progress bar = Progress.forConsole(LOG, total, step)) {
            progress = bar;
            while (step < total) {
                long s = step;
                Engine.getInstance().setRandomSeed(stepSeed(run.seed(), s));
                float lr = schedule.at(s);
                List<B> batches = task.microBatches(s);
                long stepTokens = batches.stream().mapToLong(MicroBatch::tokens).sum();
                boolean logNow = (s + 1) % config.logEvery() == 0 || s + 1 == total;
                boolean evalNow = (s + 1) % config.evalEvery() == 0 || s + 1 == total;
                boolean saveNow = (s + 1) % config.saveEvery() == 0 || s + 1 == total;
                float gradNorm = Float.NaN;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray stepLoss = accumulate(batches, host);
                    if (parallel != null) {
                        parallel.reduceGradients();
                    }
                    AdamW.StepOutcome outcome;
                    if (mixed == null) {
                        outcome = optimizer.step(lr, counters.gate(stepLoss));
                    } else {
                        // Unscaled FP32 gradients update the masters; an overflow (inf) skips the step on the
                        // device and backs the scale off, with no host sync (LossScale).
                        outcome = optimizer.step(lr, counters.gate(stepLoss),
                                mixed.unscaledGradients(lossScale.inverse()));
                        mixed.copyToModel();
                        lossScale.update(outcome.applied());
                    }
                    if (parallel != null) {
                        parallel.broadcast();
                    }
                    counters.record(stepLoss, outcome.applied());
                    if (logNow) {
                        gradNorm = outcome.gradNorm().getFloat();
                    }
                }
                step = s + 1;
                tokens += stepTokens;
                intervalTokens += stepTokens;
                intervalSteps++;
                bar.advance(step);
                if (!logNow && !evalNow && !saveNow) {
                    continue;
                }
                StepAccumulators.Snapshot snapshot = counters.read();
                skippedSteps = snapshot.skipped();
                if (logNow) {
                    long now = System.nanoTime();
                    double seconds = (now - intervalStart) / 1e9;
                    double elapsed = secondsBefore + (now - sessionStartNanos) / 1e9;
                    double eta = (now - sessionStartNanos) / 1e9 / (step - sessionStartStep) * (total - step);
                    double loss = snapshot.intervalGoodSteps() > 0
                            ? snapshot.intervalLossSum() / snapshot.intervalGoodSteps() : Double.NaN;
                    double tokensPerSecond = intervalTokens / seconds;
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("loss", loss);
                    row.put("lr", lr);
                    row.put("grad_norm", gradNorm);
                    row.put("tokens_per_second", Math.round(tokensPerSecond));
                    row.put("elapsed_seconds", Math.round(elapsed * 100) / 100.0);
                    row.put("skipped_steps", snapshot.skipped());
                    if (lossScale != null) {
                        row.put("loss_scale", lossScale.read().scale());
                    }
                    // Arrays alive outside the step scopes: constant from step to step unless something leaks.
                    row.put("native_arrays", manager.getManagedArrays().size());
                    metrics.log(step, "train", row);
                    tensorBoard.scalars(step, "train", row);
                    bar.logged(new Progress.Line(step, total, loss, lr, tokensPerSecond, elapsed, eta,
                            snapshot.skipped()));
                    counters.resetInterval();
                    snapshot = new StepAccumulators.Snapshot(0, 0, snapshot.skipped(), snapshot.consecutive(),
                            snapshot.tripped());
                    intervalSteps = 0;
                    intervalTokens = 0;
                    intervalStart = now;
                }
                if (snapshot.tripped()) {
                    Path saved = save(optimizer, snapshot);
                    throw new ConfigException("training: " + config.maxConsecutiveNonfinite() + " steps in a row had a "
                            + "non-finite loss or gradient (" + snapshot.skipped() + " skipped in all); stopped at "
                            + "step " + step + " with the last good weights in " + saved + "; lower "
                            + "training.learning_rate (" + config.learningRate() + ") or raise training.warmup_steps ("
                            + config.warmupSteps() + "), then continue with: encoder4j resume " + run.dir().path()
                            + " training.learning_rate=...");
                }
                long pausedFrom = System.nanoTime();
                boolean improved = false;
                if (evalNow) {
                    improved = evaluate(lr);
                }
                boolean stop = evalNow && best.shouldStop();
                if (saveNow || improved || stop) {
                    save(optimizer, snapshot);
                }
                // Evaluation and checkpoint time does not count against the next interval's tokens/s.
                intervalStart += System.nanoTime() - pausedFrom;
                if (stop) {
                    stopReason = "early_stopping";
                    bar.message(String.format("Early stopping at step %d: %s has not improved on %.4f (step %d) for %d"
                                    + " evaluations", step, best.metric().name(), best.best(), best.bestStep(),
                            best.withoutImprovement()));
                    break;
                }
            }
        }
        return finish(stopReason);
    }

    /**
     * Forward and backward of one step's micro-batches, leaving the summed gradients in the parameters. Each
     * micro-batch's mean loss is weighted by its share of the step's loss terms, so the gradient is that of the mean
     * over the whole step, as if it were one batch. Returns the step loss on the device (in the caller's scope).
     *
     * <p>Data-parallel, each micro-batch is cut into one share per device, weighted the same way by its own loss
     * terms, so the replicas' gradients sum to this gradient ({@link DataParallel}); a share without loss terms
     * contributes nothing (its mean would be 0/0) and is not run.
     */
    NDArray accumulate(List<B> batches, NDManager host) {
        long terms = batches.stream().mapToLong(MicroBatch::lossWeight).sum();
        if (terms <= 0) {
            throw new IllegalStateException(task.name() + ": a step with no loss terms");
        }
        NDArray stepLoss = manager.zeros(new Shape(), DataType.FLOAT32);
        for (B batch : batches) {
            if (parallel == null) {
                backward(batch, null, (double) batch.lossWeight() / terms, host, stepLoss);
                continue;
            }
            List<B> shares = parallel.split(batch);
            for (int d = 0; d < shares.size(); d++) {
                B share = shares.get(d);
                if (share.lossWeight() > 0) {
                    backward(share, d == 0 ? null : parallel.replica(d), (double) share.lossWeight() / terms, host,
                            stepLoss);
                }
            }
        }
        return stepLoss;
    }

    /**
     * Forward and backward of one micro-batch (or share) on the task's model ({@code replica} null) or a replica,
     * its loss weighted by {@code w}; adds the weighted loss to {@code stepLoss} on the primary device.
     */
    private void backward(B batch, Replica<B> replica, double w, NDManager host, NDArray stepLoss) {
        try (NDScope scope = new NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            scope.suppressNotUsedWarning();
            NDArray loss = replica == null ? task.loss(batch) : replica.loss(batch);
            if (lossScale != null) {
                // The tasks' losses are FP32 already (their logits are upcast); this keeps a task's FP16 loss
                // from overflowing when it is multiplied by the scale.
                loss = Precision.float32(loss);
            }
            NDArray scaled = w == 1.0 ? loss : loss.mul(weight(host, w));
            // fp16: back-propagate loss * scale, so that small gradients survive in FP16 (LossScale). The scale
            // lives on the primary device; a replica gets a device-to-device copy.
            NDArray backLoss = lossScale == null ? scaled
                    : scaled.mul(lossScale.scale().toDevice(scaled.getDevice(), false));
            if (replica == null) {
                task.backward(collector, backLoss);
            } else {
                replica.backward(collector, backLoss);
            }
            stepLoss.addi(scaled.stopGradient().toDevice(stepLoss.getDevice(), false));
        }
    }

    /**
     * A 0-d host tensor with libtorch-owned storage: safe under autograd (see Scalars in core) and passed to device
     * kernels as an argument, not copied.
     */
    private static NDArray weight(NDManager host, double w) {
        try (NDArray wrapped = host.create((float) w)) {
            return wrapped.duplicate();
        }
    }

    /** Runs the task's evaluation, logs it and updates the best metric; true on a new best. */
    private boolean evaluate(float lr) throws IOException {
        lastEvaluation = new LinkedHashMap<>(task.evaluate());
        Double value = lastEvaluation.get(best.metric().name());
        if (value == null) {
            throw new IllegalStateException(task.name() + ": evaluate() did not report " + best.metric().name());
        }
        Map<String, Object> row = new LinkedHashMap<>(lastEvaluation);
        row.put("lr", lr);
        metrics.log(step, "eval", row);
        tensorBoard.scalars(step, "eval", lastEvaluation);
        boolean improved = best.update(step, value);
        progress.message("eval at step " + step + " | " + lastEvaluation.entrySet().stream()
                .map(e -> e.getKey() + " " + format(e.getValue())).collect(Collectors.joining(" | "))
                + (improved ? " | best " + best.metric().name() + " so far" : ""));
        return improved;
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format("%.4f", v);
    }

    private Path save(AdamW optimizer, StepAccumulators.Snapshot snapshot) throws IOException {
        Path target = checkpoints.dir().resolve(CheckpointStore.name(step));
        if (lastSavedStep == step && Files.isDirectory(target)) {
            return target;
        }
        LossScale scale = lossScale == null ? null : lossScale.read();
        TrainerState state = new TrainerState(TrainerState.FORMAT, run.job(), step, (long) config.maxSteps(),
                run.seed(), optimizer.appliedSteps(), snapshot.skipped(), snapshot.consecutive(),
                snapshot.intervalLossSum(), snapshot.intervalGoodSteps(), intervalSteps, best.metric().name(),
                Double.isNaN(best.best()) ? null : best.best(), best.bestStep() < 0 ? null : best.bestStep(),
                best.withoutImprovement(), metrics.bytes(), elapsedSeconds(), tokens, TrainerState.RNG_SCHEME,
                run.jobState(), scale == null ? null : scale.scale(), scale == null ? null : scale.cleanSteps());
        Path dir = checkpoints.write(step, (temp, files) -> {
            saveModel(temp.resolve(MODEL));
            try (OutputStream out = files.create(temp.resolve(OPTIMIZER))) {
                optimizer.save(out);
            }
            write(files, temp.resolve(CONFIG), run.configYaml());
            // Written last: a checkpoint directory is complete when it has its state (and it is renamed as a whole).
            write(files, temp.resolve(TrainerState.FILE), ConfigLoader.toJson(state));
        });
        lastSavedStep = step;
        checkpoints.rotate(config.saveTotalLimit(), bestCheckpoint());
        LOG.debug("checkpoint {}", dir);
        return dir;
    }

    /** The task's model, with FP32 weights also in an fp16 run (its masters). */
    private void saveModel(Path dir) throws IOException {
        if (mixed == null) {
            task.saveModel(dir);
        } else {
            mixed.withMasters(() -> task.saveModel(dir));
        }
    }

    private static void write(FileSink files, Path file, String text) throws IOException {
        try (OutputStream out = files.create(file)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private Path bestCheckpoint() {
        return best.bestStep() < 0 ? null : checkpoints.dir().resolve(CheckpointStore.name(best.bestStep()));
    }

    private double elapsedSeconds() {
        return secondsBefore + (System.nanoTime() - sessionStartNanos) / 1e9;
    }

    /** The final model, plots and summary. */
    private TrainingResult finish(String stopReason) throws IOException {
        double seconds = elapsedSeconds();
        Path bestDir = bestCheckpoint();
        Path modelDir = run.dir().resolve(RunDirectory.MODEL);
        Path temp = run.dir().resolve("." + RunDirectory.MODEL + ".tmp");
        FileTrees.deleteRecursively(temp);
        if (config.loadBestAtEnd() && bestDir != null && Files.isDirectory(bestDir.resolve(MODEL))) {
            copyTree(bestDir.resolve(MODEL), temp);
        } else {
            saveModel(temp);
        }
        FileTrees.deleteRecursively(modelDir);
        Files.move(temp, modelDir, StandardCopyOption.ATOMIC_MOVE);

        TrainingResult result = new TrainingResult(step, stopReason, Map.copyOf(lastEvaluation),
                best.metric().name(), best.best(), best.bestStep(), bestDir, skippedSteps, seconds, tokens,
                tokens / seconds);
        writePlots();
        writeSummary(result);
        LOG.info("Done in {}: {} steps ({}), {} tokens/s; best eval {} {} at step {}{}; outputs in {}",
                Progress.duration(seconds), step, stopReason.replace('_', ' '), String.format("%,.0f",
                        result.tokensPerSecond()), best.metric().name(), format(best.best()), best.bestStep(),
                bestDir == null ? "" : " (" + run.dir().path().relativize(bestDir) + ")", run.dir().path());
        return result;
    }

    private void writePlots() throws IOException {
        String title = task.name() + ": " + run.dir().path().getFileName();
        TrainingTask.Reference reference = task.lossReference().orElse(null);
        CurvePlot.write(run.dir().resolve(RunDirectory.LOSS_PLOT), title + " loss", "loss (nats)",
                List.of(new CurvePlot.Series("train", metrics.trainLoss(), false),
                        new CurvePlot.Series("eval", metrics.evalLoss(), true)),
                reference == null ? Double.NaN : reference.value(), reference == null ? "" : reference.label());
        String metric = best.metric().name();
        if (!metric.equals("loss")) {
            CurvePlot.write(run.dir().resolve(metric + ".png"), title + " " + metric, metric,
                    List.of(new CurvePlot.Series("eval " + metric, metrics.series("eval", metric), true)), Double.NaN,
                    "");
        }
    }

    private void writeSummary(TrainingResult result) throws IOException {
        ObjectNode s = JSON.createObjectNode();
        s.put("job", run.job());
        s.put("steps", result.steps());
        s.put("max_steps", config.maxSteps());
        s.put("stop_reason", result.stopReason());
        s.put("train_seconds", result.trainSeconds());
        s.put("tokens", result.tokens());
        s.put("tokens_per_second", result.tokensPerSecond());
        s.put("skipped_steps", result.skippedSteps());
        s.put("parameters", task.parameters().values().stream().mapToLong(p -> p.getArray().size()).sum());
        for (Metric m : task.metrics()) {
            Double v = result.finalEvaluation().get(m.name());
            if (v != null) {
                s.put("eval_" + m.name(), v);
            }
        }
        s.put("best_metric", result.bestMetric());
        if (!Double.isNaN(result.bestValue())) {
            s.put("best_value", result.bestValue());
            s.put("best_step", result.bestStep());
        }
        if (result.bestCheckpoint() != null) {
            s.put("best_checkpoint", run.dir().path().relativize(result.bestCheckpoint()).toString());
        }
        for (Map.Entry<String, Object> e : run.summaryExtras().apply(result).entrySet()) {
            s.set(e.getKey(), JSON.valueToTree(e.getValue()));
        }
        Path file = run.dir().resolve(RunDirectory.SUMMARY);
        Path temp = file.resolveSibling("." + RunDirectory.SUMMARY + ".tmp");
        Files.writeString(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s) + "\n");
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> paths;
        try (Stream<Path> s = Files.walk(from)) {
            paths = new ArrayList<>(s.toList());
        }
        for (Path p : paths) {
            Path target = to.resolve(from.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(target);
            } else {
                Files.copy(p, target);
            }
        }
    }

    /** The step the next optimizer update will be (after a resume, the checkpoint's step). */
    public long step() {
        return step;
    }
}
