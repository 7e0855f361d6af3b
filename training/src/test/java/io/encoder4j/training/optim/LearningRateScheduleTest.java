package io.encoder4j.training.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Schedule values at known steps: peak 1, 10 warm-up steps, 110 steps in all (100 after warm-up). */
class LearningRateScheduleTest {

    private static LearningRateSchedule schedule(String name, float minRatio) {
        return LearningRateSchedule.of(name, 1f, 10, 110, minRatio, 20);
    }

    private static void assertWarmUp(LearningRateSchedule s) {
        assertEquals(0.1f, s.at(0), 1e-7);
        assertEquals(0.5f, s.at(4), 1e-7);
        assertEquals(1.0f, s.at(9), 1e-7);
    }

    @Test
    void linear() {
        LearningRateSchedule s = schedule("linear", 0f);
        assertWarmUp(s);
        assertEquals(1.0f, s.at(10), 1e-7);
        assertEquals(0.5f, s.at(60), 1e-7);
        assertEquals(0.01f, s.at(109), 1e-7);
        assertEquals(0f, s.at(110), 0);
        assertEquals(0f, s.at(500), 0);
        // With a floor of 0.1: halfway is 0.1 + 0.9 / 2.
        assertEquals(0.55f, schedule("linear", 0.1f).at(60), 1e-7);
        assertEquals(0.1f, schedule("linear", 0.1f).at(110), 1e-7);
    }

    @Test
    void cosine() {
        LearningRateSchedule s = schedule("cosine", 0f);
        assertWarmUp(s);
        assertEquals(1.0f, s.at(10), 1e-7);
        // A quarter of the way: (1 + cos(pi / 4)) / 2.
        assertEquals((float) ((1 + Math.cos(Math.PI / 4)) / 2), s.at(35), 1e-7);
        assertEquals(0.5f, s.at(60), 1e-7);
        assertEquals(0f, s.at(110), 1e-7);
        assertEquals(0.55f, schedule("cosine", 0.1f).at(60), 1e-7);
        assertEquals(0.1f, schedule("cosine", 0.1f).at(1000), 1e-7);
    }

    @Test
    void constant() {
        LearningRateSchedule s = schedule("constant", 0f);
        assertWarmUp(s);
        assertEquals(1.0f, s.at(10), 0);
        assertEquals(1.0f, s.at(109), 0);
    }

    @Test
    void warmupStableDecay() {
        LearningRateSchedule s = schedule("warmup_stable_decay", 0f);
        assertWarmUp(s);
        assertEquals(1.0f, s.at(10), 0);
        assertEquals(1.0f, s.at(89), 0);
        // Decay over the last 20 steps, 90 ... 109.
        assertEquals(1.0f, s.at(90), 1e-7);
        assertEquals(0.5f, s.at(100), 1e-7);
        assertEquals(0.05f, s.at(109), 1e-7);
        assertEquals(0.1f + 0.9f * 0.5f, schedule("warmup_stable_decay", 0.1f).at(100), 1e-7);
    }

    @Test
    void noWarmUpStartsAtThePeak() {
        assertEquals(1.0f, LearningRateSchedule.of("linear", 1f, 0, 100, 0f, 0).at(0), 0);
        assertEquals(1.0f, LearningRateSchedule.of("cosine", 1f, 0, 100, 0f, 0).at(0), 0);
    }

    @Test
    void unknownNameIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LearningRateSchedule.of("cosin", 1f, 1, 2, 0f, 1));
        assertEquals("unknown schedule 'cosin'; known: [linear, cosine, constant, warmup_stable_decay]",
                e.getMessage());
    }
}
