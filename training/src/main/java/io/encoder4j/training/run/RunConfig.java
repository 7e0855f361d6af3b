package io.encoder4j.training.run;

import io.encoder4j.core.config.Checks;

/**
 * The {@code run} section: where a job writes ({@code <outputDir>/<name>/}) and its random seed.
 *
 * @param overwrite whether an existing run directory may be replaced; without it the job refuses to start
 */
public record RunConfig(String name, String outputDir, Boolean overwrite, Long seed) {

    /** Every field at its default. */
    public static RunConfig defaults() {
        return new RunConfig(null, null, null, null);
    }

    public RunConfig {
        name = name == null ? "run" : name;
        outputDir = outputDir == null ? "runs" : outputDir;
        overwrite = overwrite != null && overwrite;
        seed = seed == null ? 42L : seed;
        Checks.nonBlank("name", name);
        if (name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("name must be a plain directory name, got '" + name + "'");
        }
        Checks.nonBlank("output_dir", outputDir);
    }
}
