package io.encoder4j.training.loop;

import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.models.EncoderConfig;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which attention mechanisms {@code training.precision: fp16} may train. Every pretraining family was trained for 30
 * steps (2 layers, 1024 tokens) in FP16 and in FP32 on an H100 (docs/gpu.md, "FP16 by attention mechanism"). Full
 * (RoBERTa-base, 200 steps), BigBird, blockwise, global over sliding window (Longformer), long-short, Nystromformer
 * and RFA reached the FP32 eval loss within 0.01 nats, once masks used a finite FP16 value
 * ({@code AttentionMasks.maskedScore}). The others failed, so a job asking for them is refused before it starts rather
 * than skipping every step or training worse:
 * <ul>
 *   <li>linear and Performer: non-finite losses or gradients at every step (their feature maps and sums overflow
 *       FP16);</li>
 *   <li>LSH (Reformer): FP32 tensors meet FP16 ones in a matrix product ("expected scalar type Half");</li>
 *   <li>Linformer: runs, but its eval loss after 30 steps was 6.85 against FP32's 6.71.</li>
 * </ul>
 */
public final class PrecisionSupport {

    /** Set to 1 to try FP16 with any attention type anyway (to measure one), with a warning instead of the error. */
    public static final String ALLOW_UNVERIFIED = "ENCODER4J_FP16_UNVERIFIED";

    private static final Logger LOG = LoggerFactory.getLogger(PrecisionSupport.class);

    /** Attention types trained in FP16 on a GPU with losses that follow FP32. */
    public static final Set<String> FP16_ATTENTION = Set.of("full", "bigbird", "blockwise", "global", "long_short",
            "nystrom", "rfa", "sliding_window");

    private PrecisionSupport() {}

    /**
     * Throws a one-line {@link ConfigException} naming {@code training.precision} when {@code training} asks for FP16
     * and a layer of {@code model} uses an attention type not in {@link #FP16_ATTENTION}.
     */
    public static void requireSupported(TrainingConfig training, EncoderConfig model) {
        if (!TrainingConfig.FP16.equals(training.precision()) || model == null || model.attention() == null) {
            return;
        }
        for (AttentionConfig attention : model.attention()) {
            if (!FP16_ATTENTION.contains(attention.type())) {
                if ("1".equals(System.getenv(ALLOW_UNVERIFIED))) {
                    LOG.warn("training.precision: fp16 with '{}' attention is not verified ({}=1)", attention.type(),
                            ALLOW_UNVERIFIED);
                    continue;
                }
                throw new ConfigException("training.precision: fp16 is not supported with '" + attention.type()
                        + "' attention yet (it trains in FP16 with " + String.join(", ",
                        FP16_ATTENTION.stream().sorted().toList()) + "; see docs/gpu.md); use fp32");
            }
        }
    }
}
