package io.encoder4j.training.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.PairList;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the {@link Trainer} trains: masked-LM pretraining ({@code MaskedLmTask}), classification and question
 * answering fine-tuning ({@code ClassificationTask}, {@code QuestionAnsweringTask}). A task owns its model, data and
 * device arrays; the engine owns the loop, the optimizer, the schedule, checkpoints, logging and the decisions about
 * stopping.
 *
 * <p>Contract, so that resume is exact and nothing syncs with the device per step:
 * <ul>
 *   <li>{@link #microBatches} is a pure function of the run's seed and the step: a resumed run asks for step
 *       {@code N} directly, without replaying earlier ones.</li>
 *   <li>{@link #loss} only builds device arrays: no {@code getFloat()}, {@code toArray()} or other reads. Its input
 *       should reach the device in one copy.</li>
 *   <li>Randomness on the device (dropout) comes from the engine's generator, which the trainer re-seeds from
 *       {@code (seed, step)} before every step.</li>
 *   <li>The model is built by the job: fresh, from a pretrained checkpoint, or, when resuming, from the checkpoint's
 *       {@code model/} directory that {@link #saveModel} wrote.</li>
 * </ul>
 *
 * @param <B> the task's micro-batch
 */
public interface TrainingTask<B extends MicroBatch> {

    /** A short name for logs and plots, e.g. {@code masked-LM}. */
    String name();

    /** The parameters the optimizer updates, by name; the optimizer's saved state is keyed by these names. */
    PairList<String, Parameter> parameters();

    /**
     * The micro-batches of optimizer step {@code step} (0-based), as many as {@code gradient_accumulation_steps},
     * prepared on the host.
     */
    List<B> microBatches(long step);

    /**
     * The mean loss over the micro-batch's {@link MicroBatch#lossWeight()} terms: a scalar on the task's device. The
     * engine calls it in training mode inside an {@code NDScope} with a {@code GradientCollector} open, so every array
     * it creates is freed after the backward pass.
     */
    NDArray loss(B batch);

    /**
     * Back-propagates {@code loss} (from {@link #loss}) into the parameters. Tasks whose model has an encoder must
     * route it through {@code TransformerEncoder.backward}, which for reversible layers also runs their recomputing
     * backward pass (docs/layers.md); the default is plain autograd.
     */
    default void backward(GradientCollector collector, NDArray loss) {
        collector.backward(loss);
    }

    /**
     * For data parallelism ({@code training.device: [gpu:0, gpu:1]}): a copy of the task's model on
     * {@code manager}'s device ({@link Replica}); its initial values do not matter, the engine copies the task's in.
     * Tasks that train on one device only keep the default, which says so.
     */
    default Replica<B> replica(ai.djl.ndarray.NDManager manager) {
        throw new io.encoder4j.core.config.ConfigException("training.device: " + name() + " trains on one device; "
                + "a list of devices (data parallelism) is implemented for masked-LM pretraining");
    }

    /**
     * Cuts {@code batch} into {@code parts} micro-batches of contiguous rows, in order, whose rows, tokens and
     * {@link MicroBatch#lossWeight()} sum to the batch's (a part may be empty: zero rows and weight). Needed with
     * {@link #replica}: each device computes one part.
     */
    default List<B> split(B batch, int parts) {
        throw new UnsupportedOperationException(name() + " does not split micro-batches");
    }

    /**
     * Evaluates the current model on the task's validation data: metrics by name in the order they should be shown,
     * every metric of {@link #metrics()} included (extra entries such as counts are logged too). Reads from the
     * device; called every {@code eval_every} steps.
     */
    Map<String, Double> evaluate();

    /** The metrics {@link #evaluate()} reports that a user may choose as {@code training.best_metric}. */
    List<Metric> metrics();

    /** The metric for best-checkpoint tracking and early stopping unless {@code training.best_metric} says otherwise. */
    default String defaultBestMetric() {
        return "loss";
    }

    /** Writes what a job needs to rebuild the model into {@code dir}: config, weights, tokenizer, labels. */
    void saveModel(Path dir) throws IOException;

    /** A constant drawn on the loss plot (the unigram baseline of masked-LM), if the task has one. */
    default Optional<Reference> lossReference() {
        return Optional.empty();
    }

    /** A horizontal reference line on a plot. */
    record Reference(double value, String label) {}
}
