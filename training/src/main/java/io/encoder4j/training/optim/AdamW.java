package io.encoder4j.training.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter 2019, algorithm 2), as {@code torch.optim.AdamW}:
 * {@code p <- p - lr * wd * p - lr * m_hat / (sqrt(v_hat) + eps)}. Weight decay applies to weights only, not to biases
 * or LayerNorm gain/shift (BERT's exclusion). Moment estimates are kept by parameter name, so they can be saved and
 * restored. Gradient clipping by global norm happens here, just before the update, without a host sync.
 *
 * <p>DJL's built-in {@code Optimizer.adamW()} decays every parameter and keys its state by per-run ids
 * (DJL-NOTES.md), which is why this one exists.
 */
public final class AdamW implements AutoCloseable {

    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, NDArray> firstMoment = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoment = new LinkedHashMap<>();
    private final NDManager stateManager;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final float maxGradNorm;
    private long step;

    /**
     * @param named the trainable parameters, by name (as {@code Block.getParameters()})
     * @param maxGradNorm clip threshold for the global gradient norm; 0 disables clipping
     */
    public AdamW(PairList<String, Parameter> named, NDManager manager, float beta1, float beta2, float epsilon,
            float weightDecay, float maxGradNorm) {
        this.stateManager = manager.newSubManager();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.maxGradNorm = maxGradNorm;
        for (Pair<String, Parameter> p : named) {
            if (!p.getValue().requiresGradient()) {
                continue;
            }
            NDArray array = p.getValue().getArray();
            parameters.put(p.getKey(), p.getValue());
            // Created here, outside any NDScope, so the state lives as long as the optimizer (DJL-NOTES.md).
            firstMoment.put(p.getKey(), stateManager.zeros(array.getShape(), array.getDataType(), array.getDevice()));
            secondMoment.put(p.getKey(), stateManager.zeros(array.getShape(), array.getDataType(), array.getDevice()));
        }
    }

    /** Whether a parameter is decayed: weight matrices and embeddings are, biases and LayerNorm parameters not. */
    public static boolean decays(Parameter p) {
        return p.getType() == Parameter.Type.WEIGHT;
    }

    /**
     * Clips the gradients to the global norm, applies one update with learning rate {@code lr}, and zeroes the
     * gradients.
     *
     * @param readNorm whether to return the pre-clipping gradient norm (one host sync); otherwise NaN
     */
    public float step(float lr, boolean readNorm) {
        step++;
        float norm = Float.NaN;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            List<NDArray> grads = new ArrayList<>(parameters.size());
            NDArray sumSquares = null;
            for (Parameter p : parameters.values()) {
                NDArray g = p.getArray().getGradient();
                grads.add(g);
                NDArray s = g.square().sum();
                sumSquares = sumSquares == null ? s : sumSquares.add(s);
            }
            NDArray total = sumSquares.sqrt();
            if (readNorm) {
                norm = total.getFloat();
            }
            NDArray clip = maxGradNorm > 0 ? total.add(1e-6f).pow(-1).mul(maxGradNorm).minimum(1f) : null;
            float bias1 = (float) (1 - Math.pow(beta1, step));
            float bias2 = (float) (1 - Math.pow(beta2, step));
            // Folding the bias corrections into the step size, as torch does: lr * sqrt(bias2) / bias1.
            float stepSize = (float) (lr * Math.sqrt(bias2) / bias1);
            float epsHat = (float) (epsilon * Math.sqrt(bias2));
            int i = 0;
            for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
                NDArray p = e.getValue().getArray();
                NDArray g = grads.get(i++);
                if (clip != null) {
                    g = g.mul(clip);
                }
                NDArray m = firstMoment.get(e.getKey());
                NDArray v = secondMoment.get(e.getKey());
                m.muli(beta1).addi(g.mul(1 - beta1));
                v.muli(beta2).addi(g.square().muli(1 - beta2));
                if (weightDecay > 0 && decays(e.getValue())) {
                    p.muli(1 - lr * weightDecay);
                }
                p.subi(m.div(v.sqrt().addi(epsHat)).muli(stepSize));
                JniUtils.zeroGrad((PtNDArray) p);
            }
        }
        return norm;
    }

    public long stepCount() {
        return step;
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
