package io.encoder4j.datasets.sampling;

/**
 * A seeded pseudo-random permutation of {@code [0, n)} evaluated one index at a time in O(1) time and memory: a
 * balanced Feistel network over the smallest even number of bits covering {@code n}, with cycle walking to stay inside
 * the domain (Black and Rogaway, "Ciphers with arbitrary finite domains", 2002). Unlike a Fisher-Yates shuffle it
 * needs no array of {@code n} entries, so a corpus of billions of rows is shuffled without memory and any position of
 * any epoch is found directly.
 */
public final class RandomPermutation {

    private static final int ROUNDS = 6;

    private final long n;
    private final int halfBits;
    private final long halfMask;
    private final long[] keys = new long[ROUNDS];

    /** The permutation of {@code [0, n)} chosen by {@code seed}. */
    public RandomPermutation(long n, long seed) {
        if (n <= 0) {
            throw new IllegalArgumentException("n must be positive, got " + n);
        }
        this.n = n;
        int bits = Math.max(2, 64 - Long.numberOfLeadingZeros(n - 1));
        bits += bits & 1;
        this.halfBits = bits / 2;
        this.halfMask = (1L << halfBits) - 1;
        long state = seed;
        for (int r = 0; r < ROUNDS; r++) {
            state += 0x9E3779B97F4A7C15L;
            keys[r] = mix(state);
        }
    }

    public long size() {
        return n;
    }

    /** The image of {@code i}, in {@code [0, n)}. The domain is at most 4n, so about 4 rounds of walking at worst. */
    public long apply(long i) {
        if (i < 0 || i >= n) {
            throw new IndexOutOfBoundsException("index " + i + " of " + n);
        }
        long x = i;
        do {
            x = encrypt(x);
        } while (x >= n);
        return x;
    }

    private long encrypt(long x) {
        long left = x >>> halfBits;
        long right = x & halfMask;
        for (int r = 0; r < ROUNDS; r++) {
            long next = left ^ (mix(right ^ keys[r]) & halfMask);
            left = right;
            right = next;
        }
        return (left << halfBits) | right;
    }

    /** SplitMix64's finaliser (Steele, Lea and Flood 2014). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
