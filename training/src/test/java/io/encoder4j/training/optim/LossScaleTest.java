package io.encoder4j.training.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The loss-scale rule (GradScaler's), on the host and on the device. */
class LossScaleTest {

    @Test
    void aSkippedStepHalvesTheScaleAndCleanStepsDoubleItAfterTheInterval() {
        LossScale s = new LossScale(LossScale.DEFAULT_INITIAL, 0);
        s = s.next(false, 3);
        assertEquals(new LossScale(32768, 0), s);
        s = s.next(true, 3).next(true, 3);
        assertEquals(new LossScale(32768, 2), s);
        s = s.next(true, 3);
        assertEquals(new LossScale(65536, 0), s, "the third clean step in a row doubles");
        s = s.next(true, 3).next(false, 3).next(true, 3).next(true, 3);
        assertEquals(new LossScale(32768, 2), s, "a skip resets the count of clean steps");
    }

    @Test
    void theScaleStopsAtItsFloor() {
        LossScale s = new LossScale(LossScale.MINIMUM * 2, 0).next(false, 5).next(false, 5);
        assertEquals(LossScale.MINIMUM, s.scale());
        assertThrows(IllegalArgumentException.class, () -> new LossScale(0, 0));
    }

    @Test
    void theDeviceRuleFollowsTheHostRuleStepForStep() {
        int interval = 4;
        SplittableRandom rng = new SplittableRandom(11);
        LossScale host = new LossScale(1024, 0);
        try (NDManager manager = NDManager.newBaseManager();
                DeviceLossScale device = new DeviceLossScale(manager, host, interval)) {
            for (int step = 0; step < 300; step++) {
                // Mostly clean steps, so that the scale both grows and backs off (and reaches its floor early on).
                boolean applied = step > 40 ? rng.nextDouble() < 0.9 : rng.nextDouble() < 0.2;
                host = host.next(applied, interval);
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray flag = manager.create(applied);
                    device.update(flag);
                }
                assertEquals(host, device.read(), "step " + step);
            }
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                assertEquals(1 / host.scale(), device.inverse().getFloat(), 1e-6 / host.scale());
            }
        }
    }
}
