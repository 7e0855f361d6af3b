package io.encoder4j.training.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.PairList;

/**
 * A copy of a task's model on another device, for data parallelism ({@link DataParallel}): the same architecture
 * and parameter names as {@link TrainingTask#parameters()}, with its own {@code ParameterStore} and inputs on its
 * device. The engine owns its values: it copies the primary model's parameters in when the replica is made and after
 * every optimizer step, and reads its gradients out. Closing it frees its arrays.
 *
 * @param <B> the task's micro-batch
 */
public interface Replica<B extends MicroBatch> extends AutoCloseable {

    /** The replica's parameters under the names of the task's; arrays on the replica's device. */
    PairList<String, Parameter> parameters();

    /** As {@link TrainingTask#loss}, computed by this replica on its device. */
    NDArray loss(B batch);

    /** As {@link TrainingTask#backward}, for this replica's model. */
    void backward(GradientCollector collector, NDArray loss);

    @Override
    void close();
}
