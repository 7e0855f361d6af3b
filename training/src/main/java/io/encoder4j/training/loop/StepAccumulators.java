package io.encoder4j.training.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.encoder4j.training.optim.AdamW;

/**
 * Per-step bookkeeping kept on the device, so that the loop reads nothing back between logging points: the sum of
 * the step losses and the number of applied steps since the last logged row, the count of skipped (non-finite)
 * steps, the current run of consecutive skipped steps, and whether that run has reached the limit ("tripped").
 *
 * <p>Why on the device: knowing on the host whether a loss is finite would need a sync every step. Instead the skip
 * decision is a device boolean that gates the optimizer update ({@link AdamW}) and these counters; the host looks at
 * them at its sync points (logging, evaluation, checkpoints). Once tripped, the gate stays closed, so the model
 * stays frozen at its last good state until the host notices and stops the run with a checkpoint of that state.
 */
final class StepAccumulators implements AutoCloseable {

    /** The counters, as read at a sync point. */
    record Snapshot(double intervalLossSum, long intervalGoodSteps, long skipped, long consecutive, boolean tripped) {}

    private final NDManager manager;
    private final NDArray one;
    private final NDArray zero;
    private final NDArray limit;
    private NDArray lossSum;
    private NDArray goodSteps;
    private NDArray skipped;
    private NDArray consecutive;
    private NDArray tripped;

    StepAccumulators(NDManager parent, int maxConsecutive) {
        this.manager = parent.newSubManager();
        this.one = scalar(1);
        this.zero = scalar(0);
        this.limit = scalar(maxConsecutive);
        restore(new Snapshot(0, 0, 0, 0, false));
    }

    private NDArray scalar(double value) {
        // full() fills on the device: no host buffer, no copy.
        return manager.full(new Shape(), (float) value, DataType.FLOAT32, manager.getDevice());
    }

    /** True where the step may update the model: its loss is finite and the run has not tripped. In a scope. */
    NDArray gate(NDArray stepLoss) {
        return AdamW.isFinite(stepLoss).logicalAnd(tripped.eq(zero));
    }

    /** Adds one step; {@code applied} is the optimizer's BOOLEAN decision. In a scope. */
    void record(NDArray stepLoss, NDArray applied) {
        NDArray okF = applied.toType(DataType.FLOAT32, false);
        lossSum.addi(JniUtils.where((PtNDArray) applied, (PtNDArray) stepLoss, (PtNDArray) zero));
        goodSteps.addi(okF);
        NDArray bad = one.sub(okF);
        skipped.addi(bad);
        consecutive.addi(one).muli(bad);
        tripped.addi(consecutive.gte(limit).toType(DataType.FLOAT32, false));
    }

    /** One host sync for all counters. */
    Snapshot read() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            float[] v = NDArrays.stack(new NDList(lossSum, goodSteps, skipped, consecutive, tripped)).toFloatArray();
            return new Snapshot(v[0], (long) v[1], (long) v[2], (long) v[3], v[4] > 0);
        }
    }

    /** Starts a new logging interval. */
    void resetInterval() {
        replaceInterval(0, 0);
    }

    private void replaceInterval(double loss, long good) {
        if (lossSum != null) {
            lossSum.close();
            goodSteps.close();
        }
        lossSum = scalar(loss);
        goodSteps = scalar(good);
    }

    /** Sets every counter, e.g. from a checkpoint. */
    void restore(Snapshot s) {
        replaceInterval(s.intervalLossSum(), s.intervalGoodSteps());
        if (skipped != null) {
            skipped.close();
            consecutive.close();
            tripped.close();
        }
        skipped = scalar(s.skipped());
        consecutive = scalar(s.consecutive());
        tripped = scalar(s.tripped() ? 1 : 0);
    }

    @Override
    public void close() {
        manager.close();
    }
}
