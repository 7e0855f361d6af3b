package io.encoder4j.training.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The {@link LossScale} rule on device tensors: the scale and its count of clean steps are FP32 0-d arrays that the
 * step updates from the optimizer's device-side decision ({@link AdamW.StepOutcome#applied()}), so a step needs no
 * host sync; the host reads them at logging and checkpoint steps ({@link #read()}). Powers of two times 2^16 are exact
 * in FP32, and the clean-step count stays below 2^24, so the device state equals the host rule's exactly.
 */
public final class DeviceLossScale implements AutoCloseable {

    private final NDManager manager;
    private final int growthInterval;
    private final NDArray growth;
    private final NDArray backoff;
    private final NDArray one;
    private final NDArray zero;
    private final NDArray interval;
    private final NDArray minimum;
    private NDArray scale;
    private NDArray clean;

    public DeviceLossScale(NDManager parent, LossScale initial, int growthInterval) {
        if (growthInterval <= 0) {
            throw new IllegalArgumentException("growth interval must be positive, got " + growthInterval);
        }
        this.manager = parent.newSubManager();
        this.growthInterval = growthInterval;
        this.growth = constant(LossScale.GROWTH);
        this.backoff = constant(LossScale.BACKOFF);
        this.one = constant(1);
        this.zero = constant(0);
        this.interval = constant(growthInterval);
        this.minimum = constant(LossScale.MINIMUM);
        restore(initial);
    }

    private NDArray constant(double value) {
        return manager.full(new Shape(), (float) value, DataType.FLOAT32, manager.getDevice());
    }

    /** The current scale, a live FP32 0-d device array (do not close). */
    public NDArray scale() {
        return scale;
    }

    /** 1 / scale, in the caller's scope. */
    public NDArray inverse() {
        return one.div(scale);
    }

    public int growthInterval() {
        return growthInterval;
    }

    /** Advances the rule by one step; {@code applied} is a BOOLEAN 0-d device array. Call inside a scope. */
    public void update(NDArray applied) {
        NDArray okF = applied.toType(DataType.FLOAT32, false);
        // clean' = ok ? clean + 1 : 0; grown = clean' >= interval.
        NDArray next = clean.add(one).mul(okF);
        NDArray grown = next.gte(interval);
        NDArray factor = JniUtils.where((PtNDArray) applied,
                JniUtils.where((PtNDArray) grown, (PtNDArray) growth, (PtNDArray) one), (PtNDArray) backoff);
        NDArray scaled = scale.mul(factor).maximum(minimum);
        scale.muli(zero).addi(scaled);
        NDArray cleared = JniUtils.where((PtNDArray) grown, (PtNDArray) zero, (PtNDArray) next);
        clean.subi(clean).addi(cleared);
    }

    /** One host sync for both values. */
    public LossScale read() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            float[] v = NDArrays.stack(new NDList(scale, clean)).toFloatArray();
            return new LossScale(v[0], (long) v[1]);
        }
    }

    /** Sets the state, e.g. from a checkpoint. */
    public void restore(LossScale state) {
        if (scale != null) {
            scale.close();
            clean.close();
        }
        scale = constant(state.scale());
        clean = constant(state.cleanSteps());
    }

    @Override
    public void close() {
        manager.close();
    }
}
