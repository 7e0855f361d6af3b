package io.encoder4j.core.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class ScalarsTest {

    @Test
    void gradientsSurviveAGarbageCollectionBetweenForwardAndBackward() {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
                for (int trial = 0; trial < 10; trial++) {
                    NDArray x = manager.ones(new Shape(1000), type);
                    x.setRequiresGradient(true);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray y = Scalars.div(Scalars.mul(x, 3.0), 0.5);
                        System.gc();
                        // Reuse freed direct memory, as a busy training step would.
                        for (int i = 0; i < 200; i++) {
                            java.nio.ByteBuffer.allocateDirect(8).putDouble(0, 777);
                        }
                        System.gc();
                        gc.backward(y.sum());
                    }
                    assertEquals(type, x.getGradient().getDataType());
                    assertEquals(6.0, x.getGradient().toType(DataType.FLOAT64, false).getDouble(999), 1e-12);
                }
            }
        }
    }

    @Test
    void offsetsAreExactInt64() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray o = Scalars.offsets(manager, 3, 1L << 40);
            assertEquals(DataType.INT64, o.getDataType());
            assertArrayEquals(new long[] {0, 1L << 40, 2L << 40}, o.toLongArray());
        }
    }
}
