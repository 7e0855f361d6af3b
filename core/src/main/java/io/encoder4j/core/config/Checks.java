package io.encoder4j.core.config;

/**
 * Validation used in the compact constructors of config records. Messages start with the key relative to the
 * record; {@link ConfigLoader} prefixes the path of the record in the file.
 */
public final class Checks {

    private Checks() {}

    public static int positive(String key, Integer value) {
        if (value == null || value <= 0) {
            throw new IllegalArgumentException(key + " must be a positive integer, got " + value);
        }
        return value;
    }

    public static long positive(String key, Long value) {
        if (value == null || value <= 0) {
            throw new IllegalArgumentException(key + " must be a positive integer, got " + value);
        }
        return value;
    }

    public static int nonNegative(String key, Integer value) {
        if (value == null || value < 0) {
            throw new IllegalArgumentException(key + " must be zero or a positive integer, got " + value);
        }
        return value;
    }

    public static float positive(String key, Float value) {
        if (value == null || !(value > 0) || value.isInfinite()) {
            throw new IllegalArgumentException(key + " must be a positive number, got " + value);
        }
        return value;
    }

    public static float nonNegative(String key, Float value) {
        if (value == null || !(value >= 0) || value.isInfinite()) {
            throw new IllegalArgumentException(key + " must be zero or a positive number, got " + value);
        }
        return value;
    }

    /** A value in [0, 1). */
    public static float probability(String key, Float value) {
        if (value == null || !(value >= 0f && value < 1f)) {
            throw new IllegalArgumentException(key + " must be in [0, 1), got " + value);
        }
        return value;
    }

    /** A value in [0, 1]. */
    public static float fraction(String key, Float value) {
        if (value == null || !(value >= 0f && value <= 1f)) {
            throw new IllegalArgumentException(key + " must be in [0, 1], got " + value);
        }
        return value;
    }

    public static String nonBlank(String key, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + " must not be empty");
        }
        return value;
    }
}
