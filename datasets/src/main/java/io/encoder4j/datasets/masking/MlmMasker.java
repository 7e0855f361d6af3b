package io.encoder4j.datasets.masking;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Applies {@link MaskingConfig} to a batch of token ids. Pure and seeded: the same ids and seed give the same
 * corruption, so a run is reproducible and a resumed run masks batch k as the original run did.
 */
public final class MlmMasker {

    private final MaskingConfig config;
    private final int maskId;
    private final int vocabSize;
    private final boolean[] special;
    /** For whole-word masking: ids that continue the word of the token before them; null for token masking. */
    private final boolean[] continuesWord;

    /**
     * @param specialIds ids never chosen for prediction and never drawn as random replacements
     */
    public MlmMasker(MaskingConfig config, int maskId, int vocabSize, int[] specialIds) {
        this(config, maskId, vocabSize, specialIds, null);
    }

    /**
     * Whole-word masking (Cui et al. 2019; Hugging Face's {@code DataCollatorForWholeWordMask}): words, not tokens,
     * are chosen with {@code maskProbability}, and every token of a chosen word is predicted; each predicted token is
     * then replaced by {@code <mask>}, a random token or itself as in token masking.
     *
     * @param continuesWord by id: whether a token continues the word of the token before it
     *     ({@code TextTokenizer.continuesWord()}); null for token masking
     */
    public MlmMasker(MaskingConfig config, int maskId, int vocabSize, int[] specialIds, boolean[] continuesWord) {
        if (continuesWord != null && continuesWord.length < vocabSize) {
            throw new IllegalArgumentException("continuesWord has " + continuesWord.length + " entries for a "
                    + "vocabulary of " + vocabSize);
        }
        this.continuesWord = continuesWord;
        this.config = config;
        this.maskId = maskId;
        this.vocabSize = vocabSize;
        this.special = new boolean[vocabSize];
        for (int id : specialIds) {
            special[id] = true;
        }
        if (specialIds.length >= vocabSize) {
            throw new IllegalArgumentException("the vocabulary has no ordinary tokens");
        }
    }

    /**
     * Corrupts a copy of {@code ids}; at least one token is chosen whenever the batch has an eligible one. The ids
     * are treated as one stream: in a flattened (B*N) batch every row starts with a special token, so no word runs
     * from one row into the next.
     */
    public MaskedBatch mask(int[] ids, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] out = ids.clone();
        long[] positions = new long[Math.max(16, (int) (ids.length * config.maskProbability() * 1.5f))];
        int m = 0;
        int eligible = 0;
        for (int i = 0; i < ids.length; i++) {
            if (special[ids[i]]) {
                continue;
            }
            eligible++;
            boolean chosen;
            if (continuesWord != null && i > 0 && continuesWord[ids[i]] && !special[ids[i - 1]]) {
                // The rest of a word follows its first token's choice (one draw per word).
                chosen = m > 0 && positions[m - 1] == i - 1;
            } else {
                chosen = rng.nextFloat() < config.maskProbability();
            }
            if (chosen) {
                if (m == positions.length) {
                    positions = Arrays.copyOf(positions, m * 2);
                }
                positions[m++] = i;
            }
        }
        if (m == 0 && eligible > 0) {
            // An empty prediction set would make the loss undefined; choose one eligible token instead.
            int pick = rng.nextInt(eligible);
            for (int i = 0; i < ids.length; i++) {
                if (!special[ids[i]] && pick-- == 0) {
                    positions[m++] = i;
                    break;
                }
            }
        }
        long[] labels = new long[m];
        for (int j = 0; j < m; j++) {
            int i = (int) positions[j];
            labels[j] = ids[i];
            float r = rng.nextFloat();
            if (r < config.maskTokenFraction()) {
                out[i] = maskId;
            } else if (r < config.maskTokenFraction() + config.randomTokenFraction()) {
                out[i] = randomOrdinaryToken(rng);
            }
        }
        return new MaskedBatch(out, Arrays.copyOf(positions, m), labels);
    }

    private int randomOrdinaryToken(SplittableRandom rng) {
        while (true) {
            int t = rng.nextInt(vocabSize);
            if (!special[t]) {
                return t;
            }
        }
    }
}
