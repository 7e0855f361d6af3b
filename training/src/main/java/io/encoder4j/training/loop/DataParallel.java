package io.encoder4j.training.loop;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import io.encoder4j.core.config.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Data parallelism over the devices of {@code training.device: [gpu:0, gpu:1, ...]}: the task's model lives on the
 * first (primary) device, a {@link Replica} on each other one. Every micro-batch is cut into one contiguous share of
 * rows per device ({@link TrainingTask#split}); each device runs forward and backward on its share with the loss
 * weighted by its share of the step's loss terms, exactly as {@link Trainer#accumulate} weighs micro-batches, so the
 * replicas' gradients, summed onto the primary device ({@link #reduceGradients}), are the gradient of the whole step
 * as one device computes it (up to rounding). The optimizer steps on the primary device (FP32 or the FP16 masters)
 * and {@link #broadcast} copies the updated parameters to the replicas.
 *
 * <p>The devices are driven from one thread, one after the other (DJL allows one {@code GradientCollector} at a
 * time); on GPUs kernels are queued asynchronously, so the devices overlap as far as the host queues ahead. No step
 * reads anything back to the host: the copies between devices are device-to-device.
 */
final class DataParallel<B extends MicroBatch> implements AutoCloseable {

    private final TrainingTask<B> task;
    private final Device primary;
    private final Map<String, Parameter> primaryParameters = new LinkedHashMap<>();
    private final List<NDManager> managers = new ArrayList<>();
    private final List<Replica<B>> replicas = new ArrayList<>();
    /** Per replica, its trainable parameters by name, in the order of {@link #primaryParameters}. */
    private final List<Map<String, Parameter>> replicaParameters = new ArrayList<>();

    /**
     * Makes a replica of the task's model on each device after the first, which must be {@code manager}'s, and copies
     * the model's current values (and types: FP16 under mixed precision) into them.
     */
    DataParallel(TrainingTask<B> task, List<Device> devices, NDManager manager) {
        this.task = task;
        this.primary = manager.getDevice();
        if (!devices.get(0).equals(primary)) {
            throw new IllegalStateException("the task's device " + primary + " is not the first of " + devices);
        }
        for (Pair<String, Parameter> p : task.parameters()) {
            if (p.getValue().requiresGradient()) {
                primaryParameters.put(p.getKey(), p.getValue());
            }
        }
        try {
            for (Device device : devices.subList(1, devices.size())) {
                NDManager replicaManager = manager.getEngine().newBaseManager(device);
                managers.add(replicaManager);
                Replica<B> replica = task.replica(replicaManager);
                replicas.add(replica);
                Map<String, Parameter> named = new LinkedHashMap<>();
                for (Pair<String, Parameter> p : replica.parameters()) {
                    named.put(p.getKey(), p.getValue());
                }
                for (Pair<String, Parameter> p : task.parameters()) {
                    Parameter copy = named.get(p.getKey());
                    if (copy == null) {
                        throw new IllegalStateException(task.name() + ": the replica on " + device + " has no "
                                + "parameter " + p.getKey());
                    }
                    NDArray source = p.getValue().getArray();
                    // A copy of its own: toDevice to the array's own device returns the same libtorch tensor even
                    // when asked to copy, and a replica sharing the primary's leaf would share its gradient.
                    NDArray value = source.getDevice().equals(device) ? source.duplicate()
                            : source.toDevice(device, true);
                    MixedPrecision.install(copy, value, p.getValue().requiresGradient());
                }
                Map<String, Parameter> trainable = new LinkedHashMap<>();
                for (String name : primaryParameters.keySet()) {
                    trainable.put(name, named.get(name));
                }
                replicaParameters.add(trainable);
            }
            defineGradients(primaryParameters);
            replicaParameters.forEach(DataParallel::defineGradients);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Gives every parameter a (zero) gradient tensor. libtorch creates one at a parameter's first backward; a
     * device whose shares had no loss terms has run none, and the gradients added into it (or zeroed) must exist.
     */
    private static void defineGradients(Map<String, Parameter> parameters) {
        try (NDScope scope = new NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            scope.suppressNotUsedWarning();
            for (Parameter p : parameters.values()) {
                // d(sum p)/dp = 1 everywhere: the gradient exists afterwards and is zeroed below.
                collector.backward(p.getArray().sum());
            }
        }
        for (Parameter p : parameters.values()) {
            JniUtils.zeroGrad((PtNDArray) p.getArray());
        }
    }

    /** How many devices train: the primary one and the replicas. */
    int devices() {
        return replicas.size() + 1;
    }

    /** The shares of {@code batch}, one per device, primary first; checks that they add up to the batch. */
    List<B> split(B batch) {
        List<B> shares = task.split(batch, devices());
        long weight = shares.stream().mapToLong(MicroBatch::lossWeight).sum();
        long tokens = shares.stream().mapToLong(MicroBatch::tokens).sum();
        if (shares.size() != devices() || weight != batch.lossWeight() || tokens != batch.tokens()) {
            throw new IllegalStateException(task.name() + ": split a micro-batch of " + batch.tokens() + " tokens and "
                    + batch.lossWeight() + " loss terms into " + shares.size() + " shares of " + tokens + " and "
                    + weight);
        }
        return shares;
    }

    /** The replica of device {@code index} (1 to {@code devices() - 1}). */
    Replica<B> replica(int index) {
        return replicas.get(index - 1);
    }

    /** The primary device's arrays, the task's. */
    Device primary() {
        return primary;
    }

    /**
     * Adds every replica's gradients into the task's parameters' gradients on the primary device and zeroes the
     * replicas' (the optimizer zeroes the primary's). Call inside a scope, outside autograd.
     */
    void reduceGradients() {
        for (Map<String, Parameter> replica : replicaParameters) {
            for (Map.Entry<String, Parameter> e : replica.entrySet()) {
                NDArray gradient = e.getValue().getArray().getGradient();
                primaryParameters.get(e.getKey()).getArray().getGradient().addi(gradient.toDevice(primary, false));
                JniUtils.zeroGrad((PtNDArray) e.getValue().getArray());
            }
        }
    }

    /** Copies the task's trainable parameters into every replica, in place. Call inside a scope, outside autograd. */
    void broadcast() {
        for (Map<String, Parameter> replica : replicaParameters) {
            for (Map.Entry<String, Parameter> e : replica.entrySet()) {
                NDArray target = e.getValue().getArray();
                target.set(new NDIndex("..."),
                        primaryParameters.get(e.getKey()).getArray().toDevice(target.getDevice(), false));
            }
        }
    }

    /** A device list needs at least one row per device in a micro-batch; {@code rows} is the micro-batch's. */
    static void checkRows(int rows, int devices) {
        if (rows < devices) {
            throw new ConfigException("training.batch_size: " + rows + " rows per micro-batch cannot be shared by the "
                    + devices + " devices of training.device; use at least " + devices);
        }
    }

    @Override
    public void close() {
        for (Replica<B> replica : replicas) {
            replica.close();
        }
        for (NDManager m : managers) {
            m.close();
        }
        replicas.clear();
        managers.clear();
    }
}
