package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;

/**
 * Starts a learned (P, E) position table at the sinusoids of Vaswani et al. (2017, section 3.5), scaled so each
 * element has standard deviation {@code std} like the N(0, std) it replaces. The table stays trainable; it only
 * starts with the structure that makes "attend to the neighbour" a linear function of the embeddings
 * (PE(p + k) is a fixed rotation of PE(p)), which random vectors have to learn first.
 */
public final class SinusoidalInitializer implements Initializer {

    private final float std;

    public SinusoidalInitializer(float std) {
        this.std = std;
    }

    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        int rows = (int) shape.get(0);
        int dim = (int) shape.get(1);
        float[] table = new float[rows * dim];
        // sin and cos over many positions have standard deviation 1/sqrt(2).
        double scale = std * Math.sqrt(2);
        for (int p = 0; p < rows; p++) {
            for (int i = 0; i < dim; i++) {
                double angle = p / Math.pow(10000, (double) (i - i % 2) / dim);
                table[p * dim + i] = (float) (scale * (i % 2 == 0 ? Math.sin(angle) : Math.cos(angle)));
            }
        }
        return manager.create(table, shape).toType(dataType, false);
    }
}
