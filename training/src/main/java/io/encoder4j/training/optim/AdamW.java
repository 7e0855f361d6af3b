package io.encoder4j.training.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter 2019, algorithm 2), as {@code torch.optim.AdamW}:
 * {@code p <- p - lr * wd * p - lr * m_hat / (sqrt(v_hat) + eps)}. Weight decay applies to weights only, not to biases
 * or LayerNorm gain/shift (BERT's exclusion). Moment estimates are kept by parameter name, so they can be saved and
 * restored ({@link #save}, {@link #load}).
 *
 * <p><b>No host sync.</b> Clipping by global norm and the decision to skip a step are computed on the device. A step
 * whose gradient norm is not finite (NaN or infinity anywhere in a gradient), or whose caller-supplied gate is false
 * (a non-finite loss), is skipped on the device: every coefficient of the update is selected so that parameters and
 * moments stay bit-for-bit unchanged ({@code m * 1 + 0}, {@code p - 0}), and the count of applied updates that drives
 * the bias correction does not advance, as with PyTorch's {@code GradScaler} skipping {@code optimizer.step()}. Only
 * the gradients are sanitised with a {@code where}, since {@code NaN * 0} is NaN. Scalars that change per step (the
 * learning rate) are 0-d host tensors, which PyTorch passes to device kernels as arguments instead of copying them
 * to the device (a copy from pageable memory would synchronise).
 *
 * <p>DJL's built-in {@code Optimizer.adamW()} decays every parameter and keys its state by per-run ids
 * (DJL-NOTES.md), which is why this one exists.
 */
public final class AdamW implements AutoCloseable {

    /** Device arrays describing one step, owned by the caller's {@link NDScope}. */
    public record StepOutcome(NDArray gradNorm, NDArray applied) {}

    private static final String FIRST = "exp_avg.";
    private static final String SECOND = "exp_avg_sq.";
    private static final String STEP = "step";

    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, NDArray> firstMoment = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoment = new LinkedHashMap<>();
    /** FP32 master weights the update goes to instead of the parameters' arrays (mixed precision), or null. */
    private final Map<String, NDArray> masters;
    private final NDManager stateManager;
    private final NDManager hostManager;
    private final Device device;
    private final float weightDecay;
    private final float maxGradNorm;
    // Constants on the device, created once.
    private final NDArray beta1;
    private final NDArray beta2;
    private final NDArray oneMinusBeta1;
    private final NDArray oneMinusBeta2;
    private final NDArray epsilon;
    private final NDArray one;
    private final NDArray zero;
    private final NDArray clipThreshold;
    /** Applied updates so far (FLOAT32 0-d on the device), advanced only by steps that were not skipped. */
    private NDArray applied;

    /**
     * @param named the trainable parameters, by name (as {@code Block.getParameters()})
     * @param maxGradNorm clip threshold for the global gradient norm; 0 disables clipping
     */
    public AdamW(PairList<String, Parameter> named, NDManager manager, float beta1, float beta2, float epsilon,
            float weightDecay, float maxGradNorm) {
        this(named, null, manager, beta1, beta2, epsilon, weightDecay, maxGradNorm);
    }

    /**
     * An optimizer whose updates go to {@code masters}, FP32 copies of the (FP16) parameters by name, as in mixed
     * precision training (docs/training.md); the moments are FP32 like the masters. The caller passes the unscaled
     * FP32 gradients to {@link #step(float, NDArray, Map)} and copies the masters back into the parameters.
     *
     * @param masters the arrays to update, by parameter name; null updates the parameters' own arrays
     */
    public AdamW(PairList<String, Parameter> named, Map<String, NDArray> masters, NDManager manager, float beta1,
            float beta2, float epsilon, float weightDecay, float maxGradNorm) {
        this.masters = masters;
        this.stateManager = manager.newSubManager();
        this.weightDecay = weightDecay;
        this.maxGradNorm = maxGradNorm;
        Device first = null;
        for (Pair<String, Parameter> p : named) {
            if (!p.getValue().requiresGradient()) {
                continue;
            }
            NDArray array = masters == null ? p.getValue().getArray() : masters.get(p.getKey());
            if (array == null) {
                throw new IllegalArgumentException("no master weight for parameter '" + p.getKey() + "'");
            }
            first = first == null ? array.getDevice() : first;
            parameters.put(p.getKey(), p.getValue());
            // Created here, outside any NDScope, so the state lives as long as the optimizer (DJL-NOTES.md).
            firstMoment.put(p.getKey(), stateManager.zeros(array.getShape(), array.getDataType(), array.getDevice()));
            secondMoment.put(p.getKey(), stateManager.zeros(array.getShape(), array.getDataType(), array.getDevice()));
        }
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("no trainable parameters");
        }
        this.device = first;
        this.hostManager = device.isGpu() ? stateManager.getEngine().newBaseManager(Device.cpu()) : stateManager;
        this.beta1 = constant(beta1);
        this.beta2 = constant(beta2);
        this.oneMinusBeta1 = constant(1 - beta1);
        this.oneMinusBeta2 = constant(1 - beta2);
        this.epsilon = constant(epsilon);
        this.one = constant(1f);
        this.zero = constant(0f);
        this.clipThreshold = constant(maxGradNorm);
        this.applied = constant(0f);
    }

    private NDArray constant(float value) {
        // full() is filled by libtorch: no Java buffer behind it.
        return stateManager.full(new Shape(), value, DataType.FLOAT32, device);
    }

    /** Whether a parameter is decayed: weight matrices and embeddings are, biases and LayerNorm parameters not. */
    public static boolean decays(Parameter p) {
        return p.getType() == Parameter.Type.WEIGHT;
    }

    /** {@code x - x == 0}: true exactly when x is finite (inf - inf and NaN - NaN are NaN); two ops, no sync. */
    public static NDArray isFinite(NDArray x) {
        return x.sub(x).eq(x.zerosLike());
    }

    /**
     * Clips the gradients to the global norm, applies one update with learning rate {@code lr} unless the step must
     * be skipped, and zeroes the gradients. Must run inside an {@link NDScope}: the returned arrays and every
     * temporary belong to it. Nothing is read back to the host.
     *
     * @param gate a BOOLEAN 0-d device array that must be true for the update to apply (e.g. "the loss is finite"),
     *     or null
     */
    public StepOutcome step(float lr, NDArray gate) {
        return step(lr, gate, null);
    }

    /**
     * As {@link #step(float, NDArray)} with the gradients given by parameter name ({@code null}: the parameters' own),
     * e.g. FP16 gradients unscaled into FP32 for the masters. The parameters' own gradients are zeroed either way.
     */
    public StepOutcome step(float lr, NDArray gate, Map<String, NDArray> gradients) {
        List<NDArray> grads = new ArrayList<>(parameters.size());
        NDArray sumSquares = null;
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray g = gradients == null ? e.getValue().getArray().getGradient() : gradients.get(e.getKey());
            grads.add(g);
            NDArray s = g.square().sum();
            sumSquares = sumSquares == null ? s : sumSquares.add(s);
        }
        NDArray norm = sumSquares.sqrt();
        NDArray ok = isFinite(norm);
        if (gate != null) {
            ok = ok.logicalAnd(gate);
        }
        NDArray okF = ok.toType(DataType.FLOAT32, false);
        // Gradient scale: min(1, max_norm / (norm + 1e-6)) as torch.nn.utils.clip_grad_norm_.
        NDArray scale = maxGradNorm > 0 ? clipThreshold.div(norm.add(epsilonForNorm())).minimum(one) : one;
        // Skipped steps select coefficients that leave state unchanged: beta -> 1, (1 - beta) -> 0, decay -> 1.
        NDArray b1 = one.sub(oneMinusBeta1.mul(okF));
        NDArray c1 = oneMinusBeta1.mul(okF);
        NDArray b2 = one.sub(oneMinusBeta2.mul(okF));
        NDArray c2 = oneMinusBeta2.mul(okF);
        applied.addi(okF);
        // Bias corrections from the applied count, at least 1 so that a skipped first step stays finite.
        NDArray t = applied.maximum(one);
        NDArray bias1 = one.sub(beta1.pow(t));
        NDArray bias2Sqrt = one.sub(beta2.pow(t)).sqrt();
        // Folding the bias corrections into the step size, as torch does: lr * sqrt(bias2) / bias1.
        NDArray stepSize = bias2Sqrt.div(bias1).mul(okF).mul(host(lr));
        NDArray epsHat = epsilon.mul(bias2Sqrt);
        NDArray decay = weightDecay > 0 ? one.sub(okF.mul(host(lr * weightDecay))) : null;
        int i = 0;
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray p = masters == null ? e.getValue().getArray() : masters.get(e.getKey());
            NDArray g = grads.get(i++);
            NDArray clean = JniUtils.where((PtNDArray) ok, (PtNDArray) g.mul(scale), (PtNDArray) zero);
            NDArray m = firstMoment.get(e.getKey());
            NDArray v = secondMoment.get(e.getKey());
            m.muli(b1).addi(clean.mul(c1));
            v.muli(b2).addi(clean.square().muli(c2));
            if (decay != null && decays(e.getValue())) {
                p.muli(decay);
            }
            p.subi(m.div(v.sqrt().addi(epsHat)).muli(stepSize));
            JniUtils.zeroGrad((PtNDArray) e.getValue().getArray());
        }
        return new StepOutcome(norm, ok);
    }

    private NDArray epsilonForNorm() {
        return hostManager.create(1e-6f);
    }

    /** A 0-d host tensor: a kernel argument for device ops, never copied to the device. */
    private NDArray host(float value) {
        return hostManager.create(value);
    }

    /**
     * One step outside the training loop (tests, small tools): runs {@link #step(float, NDArray)} in its own scope.
     *
     * @param readNorm whether to return the pre-clipping gradient norm (one host sync); otherwise NaN
     */
    public float step(float lr, boolean readNorm) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            StepOutcome outcome = step(lr, (NDArray) null);
            return readNorm ? outcome.gradNorm().getFloat() : Float.NaN;
        }
    }

    /** Updates applied so far (skipped steps excluded); a host sync. */
    public long appliedSteps() {
        return (long) applied.getFloat();
    }

    /** The first moment of a parameter, by name (the live array). */
    public NDArray firstMoment(String name) {
        return firstMoment.get(name);
    }

    /** The second moment of a parameter, by name (the live array). */
    public NDArray secondMoment(String name) {
        return secondMoment.get(name);
    }

    /**
     * Writes the state as safetensors: {@code exp_avg.<name>} and {@code exp_avg_sq.<name>} per parameter (the
     * names torch uses for these moments) and {@code step}, the applied updates.
     */
    public void save(OutputStream out) throws IOException {
        NDList state = new NDList();
        try (NDManager copies = hostManager.newSubManager()) {
            for (String name : parameters.keySet()) {
                state.add(named(copies, firstMoment.get(name), FIRST + name));
                state.add(named(copies, secondMoment.get(name), SECOND + name));
            }
            state.add(named(copies, applied, STEP));
            state.encode(out, NDList.Encoding.SAFETENSORS);
        }
    }

    private static NDArray named(NDManager copies, NDArray array, String name) {
        NDArray copy = array.toDevice(Device.cpu(), true);
        if (copy == array) {
            copy = array.duplicate();
        }
        copy.attach(copies);
        copy.setName(name);
        return copy;
    }

    /**
     * Replaces the state with one written by {@link #save}. Every parameter must have both moments with its shape;
     * otherwise an {@link IllegalArgumentException} names the first one that does not.
     */
    public void load(InputStream in) throws IOException {
        try (NDManager loading = hostManager.newSubManager()) {
            NDList state = NDList.decode(loading, in);
            Map<String, NDArray> byName = new LinkedHashMap<>();
            for (NDArray a : state) {
                byName.put(a.getName(), a);
            }
            for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
                Shape shape = e.getValue().getArray().getShape();
                for (String prefix : new String[] {FIRST, SECOND}) {
                    NDArray saved = byName.get(prefix + e.getKey());
                    if (saved == null) {
                        throw new IllegalArgumentException("no optimizer state '" + prefix + e.getKey()
                                + "' for the model's parameter '" + e.getKey() + "' " + shape);
                    }
                    if (!saved.getShape().equals(shape)) {
                        throw new IllegalArgumentException("optimizer state '" + prefix + e.getKey() + "' has shape "
                                + saved.getShape() + " but the model's parameter has " + shape);
                    }
                }
            }
            NDArray step = byName.get(STEP);
            if (step == null) {
                throw new IllegalArgumentException("no optimizer state 'step'");
            }
            for (String name : parameters.keySet()) {
                replace(firstMoment, name, byName.get(FIRST + name));
                replace(secondMoment, name, byName.get(SECOND + name));
            }
            NDArray t = onDevice(step);
            applied.close();
            applied = t;
        }
    }

    private void replace(Map<String, NDArray> moments, String name, NDArray saved) {
        NDArray old = moments.put(name, onDevice(saved));
        old.close();
    }

    private NDArray onDevice(NDArray saved) {
        // A copy owned by libtorch on the parameters' device, detached from the temporary loading manager.
        NDArray copy = saved.toDevice(device, true);
        if (copy == saved) {
            copy = saved.duplicate();
        }
        copy.attach(stateManager);
        return copy;
    }

    @Override
    public void close() {
        if (hostManager != stateManager) {
            hostManager.close();
        }
        stateManager.close();
    }
}
