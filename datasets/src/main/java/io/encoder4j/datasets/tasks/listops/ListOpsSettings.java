package io.encoder4j.datasets.tasks.listops;

/**
 * The parameters of the Long Range Arena ListOps generator (Tay et al. 2021, section 3.1; the flags of
 * {@code lra_benchmarks/data/listops.py}).
 *
 * @param maxDepth the deepest level an operator may appear at (root at depth 1); 10 in LRA
 * @param maxArgs the most arguments an operator takes (at least 2); 10 in LRA
 * @param minLength an example must have more than this many tokens, parentheses not counted; 500 in LRA
 * @param maxLength and fewer than this many; 2000 in LRA
 */
public record ListOpsSettings(int maxDepth, int maxArgs, int minLength, int maxLength) {

    public ListOpsSettings {
        if (maxDepth < 1 || maxArgs < 2 || minLength < 0 || maxLength <= minLength + 1) {
            throw new IllegalArgumentException("ListOps needs max_depth >= 1, max_args >= 2 and "
                    + "0 <= min_length < max_length - 1; got " + maxDepth + ", " + maxArgs + ", " + minLength + ", "
                    + maxLength);
        }
    }

    /** LRA's settings: depth 10, 10 arguments, 500 < length < 2000. */
    public static ListOpsSettings lra() {
        return new ListOpsSettings(10, 10, 500, 2000);
    }
}
