package io.encoder4j.training.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LinearWarmupDecayTest {

    @Test
    void risesLinearlyThenDecaysToZero() {
        LinearWarmupDecay s = new LinearWarmupDecay(1f, 4, 12);
        assertEquals(0.25f, s.at(0), 1e-6);
        assertEquals(1f, s.at(3), 1e-6);
        assertEquals(1f, s.at(4), 1e-6);
        assertEquals(0.5f, s.at(8), 1e-6);
        assertEquals(0.125f, s.at(11), 1e-6);
        assertEquals(0f, s.at(12), 1e-6);
    }

    @Test
    void noWarmupStartsAtThePeak() {
        assertEquals(2f, new LinearWarmupDecay(2f, 0, 10).at(0), 1e-6);
    }
}
