package io.encoder4j.training.loop;

/**
 * One micro-batch of an optimizer step, prepared on the host by {@link TrainingTask#microBatches}. The engine weighs
 * micro-batch losses by {@link #lossWeight()} so that k micro-batches give the same gradient as one batch holding
 * all of them (up to rounding), even when they predict different numbers of tokens.
 */
public interface MicroBatch {

    /**
     * How many terms the task's loss for this micro-batch averages over (predicted tokens for masked-LM, examples for
     * classification). Known on the host: reading it needs no device sync.
     */
    long lossWeight();

    /** Input tokens in the micro-batch, for the tokens/s the engine reports. */
    long tokens();
}
