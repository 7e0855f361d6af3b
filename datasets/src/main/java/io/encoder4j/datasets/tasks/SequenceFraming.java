package io.encoder4j.datasets.tasks;

/**
 * RoBERTa's input framing for labelled tasks (the {@code RobertaProcessing} of Hugging Face {@code tokenizers}):
 * one text as {@code <s> a </s>}, a pair as {@code <s> a </s></s> b </s>}, truncated to a maximum length.
 */
public final class SequenceFraming {

    /** Frame tokens added around one text. */
    public static final int SINGLE_SPECIALS = 2;
    /** Frame tokens added around a pair. */
    public static final int PAIR_SPECIALS = 4;

    private final int bos;
    private final int eos;

    /** @param bos the id of {@code <s>}; @param eos the id of {@code </s>} */
    public SequenceFraming(int bos, int eos) {
        this.bos = bos;
        this.eos = eos;
    }

    /** {@code <s> a </s>}, keeping the first {@code maxLength - 2} tokens of {@code a}. */
    public int[] single(int[] a, int maxLength) {
        checkLength(maxLength, SINGLE_SPECIALS);
        int n = Math.min(a.length, maxLength - SINGLE_SPECIALS);
        int[] out = new int[n + SINGLE_SPECIALS];
        out[0] = bos;
        System.arraycopy(a, 0, out, 1, n);
        out[n + 1] = eos;
        return out;
    }

    /**
     * {@code <s> a </s></s> b </s>}, truncated "longest first" as Hugging Face {@code tokenizers} does, keeping
     * the first tokens of each text.
     */
    public int[] pair(int[] a, int[] b, int maxLength) {
        checkLength(maxLength, PAIR_SPECIALS);
        int budget = maxLength - PAIR_SPECIALS;
        int na = a.length;
        int nb = b.length;
        if (na + nb > budget) {
            // tokenizers' LongestFirst (utils/truncation.rs): the shorter text is kept whole if the longer can take
            // the rest, else the shorter gets half the budget and the longer the other half (plus an odd token).
            int half = budget / 2;
            if (Math.min(na, nb) <= half) {
                if (na <= nb) {
                    nb = budget - na;
                } else {
                    na = budget - nb;
                }
            } else if (na <= nb) {
                na = half;
                nb = budget - half;
            } else {
                na = budget - half;
                nb = half;
            }
        }
        int[] out = new int[na + nb + PAIR_SPECIALS];
        int i = 0;
        out[i++] = bos;
        System.arraycopy(a, 0, out, i, na);
        i += na;
        out[i++] = eos;
        out[i++] = eos;
        System.arraycopy(b, 0, out, i, nb);
        i += nb;
        out[i] = eos;
        return out;
    }

    private static void checkLength(int maxLength, int specials) {
        if (maxLength <= specials) {
            throw new IllegalArgumentException("max_length must exceed the " + specials + " frame tokens, got "
                    + maxLength);
        }
    }
}
