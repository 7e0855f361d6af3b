package io.encoder4j.training.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FP16 training with FP32 master weights, NVIDIA's "O2" recipe (Micikevicius et al. 2018, "Mixed Precision
 * Training"; apex.amp opt level O2): the model's trainable parameters are FP16, so forward and backward run in FP16;
 * an FP32 copy of each (the master) is what the optimizer updates; the FP16 gradients are unscaled into FP32
 * ({@link #unscaledGradients}), and after the update the masters are rounded back into the FP16 parameters
 * ({@link #copyToModel}). Losses upcast their logits to FP32 ({@code core.tensor.Precision}).
 *
 * <p>Why O2 and not autocast: DJL's {@code toType} is not differentiable (the JNI runs it without grad), so casting
 * per op inside the graph, as {@code torch.autocast} does, is not possible from Java.
 *
 * <p>Invariant: between steps every FP16 parameter equals its master rounded to FP16. Saving therefore swaps the
 * masters in ({@link #withMasters}), so checkpoints and the final model hold FP32 weights, load anywhere and resume
 * exactly; {@link #close} puts the masters back into the model for good.
 */
final class MixedPrecision implements AutoCloseable {

    /** Writes something from the model while it holds the FP32 masters. */
    @FunctionalInterface
    interface ModelAction {
        void run() throws IOException;
    }

    private final NDManager manager;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, NDArray> masters = new LinkedHashMap<>();
    private boolean closed;

    /** Takes the FP32 values of {@code named}'s trainable parameters as masters and makes the parameters FP16. */
    MixedPrecision(PairList<String, Parameter> named, NDManager parent) {
        this.manager = parent.newSubManager();
        for (Pair<String, Parameter> p : named) {
            Parameter parameter = p.getValue();
            if (!parameter.requiresGradient()) {
                continue;
            }
            NDArray array = parameter.getArray();
            if (array.getDataType() != DataType.FLOAT32) {
                throw new IllegalStateException("parameter " + p.getKey() + " is " + array.getDataType()
                        + "; mixed precision starts from an FP32 model");
            }
            NDArray master = array.duplicate();
            master.attach(manager);
            masters.put(p.getKey(), master);
            parameters.put(p.getKey(), parameter);
            install(parameter, master.toType(DataType.FLOAT16, true));
        }
    }

    /** The FP32 masters by parameter name (live arrays: the optimizer updates them in place). */
    Map<String, NDArray> masters() {
        return masters;
    }

    /**
     * The parameters' FP16 gradients in FP32, multiplied by {@code inverseScale} (1 / loss scale): arrays of the
     * caller's scope. An FP16 gradient that overflowed stays infinite, which the optimizer's finite-check skips.
     */
    Map<String, NDArray> unscaledGradients(NDArray inverseScale) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            out.put(e.getKey(), e.getValue().getArray().getGradient().toType(DataType.FLOAT32, false)
                    .muli(inverseScale));
        }
        return out;
    }

    /** Rounds every master into its FP16 parameter, in place on the device. Call inside a scope, outside autograd. */
    void copyToModel() {
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            e.getValue().getArray().set(new NDIndex("..."), masters.get(e.getKey()).toType(DataType.FLOAT16, false));
        }
    }

    /** Runs {@code action} with the FP32 masters in the model (to save it), then makes the model FP16 again. */
    void withMasters(ModelAction action) throws IOException {
        swapIn(DataType.FLOAT32);
        try {
            action.run();
        } finally {
            swapIn(DataType.FLOAT16);
        }
    }

    private void swapIn(DataType type) {
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            install(e.getValue(), masters.get(e.getKey()).toType(type, true));
        }
    }

    /**
     * Puts {@code tensor}'s storage under the parameter's existing array object ({@code NDArray.intern}), so that
     * whatever holds that object (a task's {@code ParameterStore} caches it at the first forward, tied weights share
     * it) sees the new values and type. {@code tensor} is consumed. PtNDArray caches its data type in a field that
     * {@code intern} does not clear: it is cleared here, so that {@code getDataType()} asks libtorch again.
     */
    private static void install(Parameter parameter, NDArray tensor) {
        install(parameter, tensor, true);
    }

    /** As {@link #install(Parameter, NDArray)}; {@code trainable} says whether the parameter wants a gradient. */
    static void install(Parameter parameter, NDArray tensor, boolean trainable) {
        NDArray target = parameter.getArray();
        DataType type = tensor.getDataType();
        target.intern(tensor);
        try {
            CACHED_TYPE.set(target, null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot reset the cached data type of " + parameter.getName(), e);
        }
        if (trainable) {
            target.setRequiresGradient(true);
        }
        if (target.getDataType() != type) {
            throw new IllegalStateException("parameter " + parameter.getName() + " is " + target.getDataType()
                    + " after becoming " + type);
        }
    }

    private static final Field CACHED_TYPE = cachedTypeField();

    private static Field cachedTypeField() {
        try {
            Field f = PtNDArray.class.getDeclaredField("dataType");
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("this DJL's PtNDArray has no dataType field; mixed precision needs 0.35.1",
                    e);
        }
    }

    /** Leaves the FP32 masters in the model for good (the model after training is FP32). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            swapIn(DataType.FLOAT32);
        } finally {
            manager.close();
        }
    }
}
